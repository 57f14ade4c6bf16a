"""The `kindred` command as a user runs it against a stack: its API and key from the stack's
env, an 80-column terminal width, output captured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

KINDRED = shutil.which("kindred", path=str(Path(sys.executable).parent))


def kindred_against(stack: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KINDRED_API_URL": stack["KINDRED_API_URL"],
           "KINDRED_API_KEY": stack["KINDRED_API_KEY"], "COLUMNS": "80"}  # fmt: skip
    return subprocess.run(
        [str(KINDRED), *args], env=env, capture_output=True, text=True, timeout=240
    )
