"""The `kindred` command as a new user runs it: up, ps, check, a second up, down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kindred_infra import stack
from kindred_infra.process import port_open

KINDRED = shutil.which("kindred", path=str(Path(sys.executable).parent))


def kindred(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KINDRED, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    ports = stack.free_ports()
    return {
        **os.environ,
        "KINDRED_HOME": str(tmp_path / "home"),
        "KINDRED_FIRESTORE_PORT": str(ports.firestore),
        "KINDRED_STORAGE_PORT": str(ports.storage),
        "KINDRED_TASKS_PORT": str(ports.tasks),
        "KINDRED_GRAPH_PORT": str(ports.graph),
        "KINDRED_FUNCTIONS_PORT": str(ports.functions),
        "KINDRED_TASKS_CERTS_PORT": str(ports.tasks_certs),
        "KINDRED_MAIL_PORT": str(ports.mail),
        "KINDRED_MAIL_WEB_PORT": str(ports.mail_web),
    }


def recorded_pids(home: Path) -> list[int]:
    return [part["pid"] for part in json.loads((home / "stack.json").read_text())["parts"]]


def test_up_ps_check_up_again_down(user_env):
    home = Path(user_env["KINDRED_HOME"])
    started = kindred("up", env=user_env)
    try:
        assert started.returncode == 0, started.stderr + started.stdout
        assert "up in" in started.stdout
        assert f"mail: http://127.0.0.1:{user_env['KINDRED_MAIL_WEB_PORT']}" in started.stdout
        env_text = (home / "stack.env").read_text()
        for name in (
            "FIRESTORE_EMULATOR_HOST",
            "STORAGE_EMULATOR_HOST",
            "CLOUD_TASKS_EMULATOR_HOST",
            "KINDRED_GRAPH_URL",
            "KINDRED_API_URL",
            "KINDRED_MAIL_URL",
            "KINDRED_SMTP_HOST",
        ):
            assert f"export {name}=" in env_text
        pids = recorded_pids(home)

        ps = kindred("ps", env=user_env)
        assert ps.returncode == 0 and ps.stdout.count("healthy") == len(pids), ps.stdout

        check = kindred("check", env=user_env)
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.count("ok ") == 6  # mail: an SMTP round trip

        again = kindred("up", env=user_env)
        assert again.returncode == 0 and "already runs" in again.stdout
        assert recorded_pids(home) == pids  # nothing new was started
    finally:
        stopped = kindred("down", env=user_env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not any(_alive(pid) for pid in pids)
    assert not (home / "stack.env").exists()
    assert "not running" in kindred("ps", env=user_env).stdout


def test_a_part_that_fails_to_start_is_named_and_nothing_is_left_running(user_env, tmp_path):
    bad = tmp_path / "bad-graph.txt"
    bad.write_text("1 2\nthis is not an edge\n")
    failed = kindred("up", "--graph", str(bad), env=user_env)
    assert failed.returncode != 0
    assert "graph" in failed.stderr and "line 2" in failed.stderr, failed.stderr
    for variable in ("KINDRED_FIRESTORE_PORT", "KINDRED_STORAGE_PORT", "KINDRED_TASKS_PORT"):
        assert not port_open("127.0.0.1", int(user_env[variable]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
