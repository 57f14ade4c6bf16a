"""What the Cloud Functions runtime installs is what the project installs for itself."""

from __future__ import annotations

import tomllib

from kindred_infra import paths


def test_every_runtime_requirement_is_a_project_dependency_with_the_same_pin():
    runtime = [
        line.split("#")[0].strip()
        for line in (paths.FUNCTIONS_SOURCE / "requirements.txt").read_text().splitlines()
    ]
    project = tomllib.loads((paths.REPO / "pyproject.toml").read_text())["project"]
    missing = sorted(set(filter(None, runtime)) - set(project["dependencies"]))
    assert not missing, f"in functions/requirements.txt but not pyproject.toml: {missing}"
