"""How the user can type `kindred` where they stand, for the commands the CLI suggests."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def kindred_command() -> str:
    """`kindred` when that name on PATH is this program, else the path that ran it.

    After `make demo` the program is `.venv/bin/kindred`, which a fresh shell does not find
    as `kindred`; a suggestion must be a command that works as typed.
    """
    program = Path(sys.argv[0]).resolve()
    on_path = shutil.which("kindred")
    if on_path and Path(on_path).resolve() == program:
        return "kindred"
    try:
        relative = program.relative_to(Path.cwd())
    except ValueError:
        return str(program)
    return str(relative) if str(relative).startswith(".") else os.path.join(".", relative)
