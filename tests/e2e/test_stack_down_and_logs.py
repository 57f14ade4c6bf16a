"""`kindred down` names each part as it stops and leaves nothing running; `kindred logs` shows
every part's log; each `kindred up` starts fresh logs and keeps the previous run's as .log.1."""

from __future__ import annotations

import json
from pathlib import Path

from test_kindred_command import _alive, kindred, user_env

__all__ = ["user_env"]  # the fixture, shared with the other end-to-end tests of the command


def recorded(home: Path) -> dict[str, int]:
    return {p["name"]: p["pid"] for p in json.loads((home / "stack.json").read_text())["parts"]}


def test_down_reports_each_part_and_up_starts_fresh_logs(user_env):
    home = Path(user_env["KINDRED_HOME"])
    first = kindred("up", env=user_env)
    assert first.returncode == 0, first.stderr + first.stdout
    parts = recorded(home)
    try:
        shown = kindred("logs", env=user_env)
        assert shown.returncode == 0, shown.stderr
        assert any(line.startswith("firestore ") for line in shown.stdout.splitlines())
        one = kindred("logs", "graph", env=user_env).stdout.splitlines()
        assert one and all(line.startswith("graph  ") for line in one), one
    finally:
        stopped = kindred("down", env=user_env)
    assert stopped.returncode == 0, stopped.stderr
    assert sorted(stopped.stdout.splitlines()) == sorted(
        f"stopped {name} (pid {pid})" for name, pid in parts.items()
    )
    assert not any(_alive(pid) for pid in parts.values())

    firestore_log = home / "logs" / "firestore.log"
    first_run = firestore_log.read_text()
    second = kindred("up", env=user_env)
    try:
        assert second.returncode == 0, second.stderr + second.stdout
        assert (home / "logs" / "firestore.log.1").read_text() == first_run
        assert firestore_log.read_text().count("listening on") == 1
    finally:
        kindred("down", env=user_env)
