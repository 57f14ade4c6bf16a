"""A copy of the repository with nothing beside it is the whole product: it starts its stack
and serves its bundled graph, reading no folder outside itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from kindred_infra import paths, stack

DEMO_ACCOUNT = "u115485051.ego-twitter.test"


def lone_copy(into: Path) -> Path:
    """The tracked files of this repository (as they are in the work tree), alone in a folder."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=paths.REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    repo = into / "lone" / "repo"
    for name in filter(None, tracked):
        source = paths.REPO / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    # The npm emulator's packages, as `npm ci` would lay them (saves a download per run).
    for folder in (paths.FIRESTORE_EMULATOR_DIR, paths.MAILDEV_DIR):
        modules = folder / "node_modules"
        into = repo / folder.relative_to(paths.REPO) / "node_modules"
        shutil.copytree(modules, into, symlinks=True)
    return repo


def test_a_lone_copy_starts_its_stack_and_serves_its_bundled_graph(tmp_path):
    repo = lone_copy(tmp_path)
    assert sorted(p.name for p in repo.parent.parent.iterdir()) == ["lone"]
    assert sorted(p.name for p in repo.parent.iterdir()) == ["repo"]  # nothing beside it
    ports = stack.free_ports()
    env = {
        **os.environ,
        "PYTHONPATH": f"{repo / 'functions'}:{repo / 'infra'}",  # the copy's code, not ours
        "KINDRED_HOME": str(repo / ".kindred"),
        "KINDRED_FIRESTORE_PORT": str(ports.firestore),
        "KINDRED_STORAGE_PORT": str(ports.storage),
        "KINDRED_TASKS_PORT": str(ports.tasks),
        "KINDRED_GRAPH_PORT": str(ports.graph),
        "KINDRED_FUNCTIONS_PORT": str(ports.functions),
        "KINDRED_TASKS_CERTS_PORT": str(ports.tasks_certs),
        "KINDRED_MAIL_PORT": str(ports.mail),
        "KINDRED_MAIL_WEB_PORT": str(ports.mail_web),
    }
    cli = [sys.executable, "-c", "from kindred_infra.cli import main; main()"]

    def kindred(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*cli, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=180
        )

    where = subprocess.run(
        [sys.executable, "-c", "from kindred_infra import paths; print(paths.DEFAULT_GRAPH)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()) == repo / "data/ego-twitter/twitter_combined.txt.gz"
    started = kindred("up")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        url = f"http://127.0.0.1:{ports.graph}/xrpc/app.bsky.actor.getProfile?actor={DEMO_ACCOUNT}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert json.load(answer)["followersCount"] == 3383
        checked = kindred("check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        stopped = kindred("down")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
