"""The `kindred` command as a user runs it against a stack: its API and key from the stack's
env, an 80-column terminal width, output captured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

KINDRED = shutil.which("kindred", path=str(Path(sys.executable).parent))


def kindred_env(stack: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with the stack's API URL and key, 80 columns, and `extra`."""
    api = {"KINDRED_API_URL": stack["KINDRED_API_URL"], "KINDRED_API_KEY": stack["KINDRED_API_KEY"]}
    return {**os.environ, **api, "COLUMNS": "80", **(extra or {})}


def kindred_against(
    stack: dict[str, str], *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KINDRED), *args],
        env=kindred_env(stack, extra_env),
        capture_output=True,
        text=True,
        timeout=240,
    )
