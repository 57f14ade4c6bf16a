"""Stopping a stack's parts together: every part has its SIGTERM before any of them must end.

The fake parts are small Python processes, each in its own process group, that note on a
shared board when they are signalled and exit only once every one of them has been: stopped
one after another, the first would wait in vain and write "gave up".
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kindred_infra.process import _group_alive, stop_groups

FAKE_PART = """
import signal, sys, time
from pathlib import Path

board, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])

def note(what):
    with board.open("a") as out:
        out.write(f"{what} {name}\\n")

def on_term(signum, frame):
    note("signalled")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if board.read_text().count("signalled") == count:
            note("exiting")
            sys.exit(0)
        time.sleep(0.01)
    note("gave up")
    sys.exit(1)

signal.signal(signal.SIGTERM, on_term)
note("ready")
while True:
    time.sleep(1)
"""


def start_parts(board: Path, count: int) -> list[subprocess.Popen[bytes]]:
    board.touch()
    parts = [
        subprocess.Popen(
            [sys.executable, "-c", FAKE_PART, str(board), f"part{i}", str(count)],
            start_new_session=True,
        )
        for i in range(count)
    ]
    deadline = time.monotonic() + 30
    while board.read_text().count("ready") < count:
        assert time.monotonic() < deadline, board.read_text()
        time.sleep(0.02)
    return parts


def test_every_part_is_signalled_before_any_has_to_end_and_each_is_reported(tmp_path):
    board = tmp_path / "board"
    parts = start_parts(board, 4)
    stopped: list[int] = []
    try:
        stop_groups([part.pid for part in parts], timeout=10, on_stopped=stopped.append)
    finally:
        for part in parts:
            if part.poll() is None:
                part.kill()
            part.wait(timeout=5)
    lines = board.read_text().splitlines()
    assert not [line for line in lines if line.startswith("gave up")], lines
    assert sorted(stopped) == sorted(part.pid for part in parts)
    assert not any(_group_alive(part.pid) for part in parts)


def test_a_part_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path):
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
         "time.sleep(60)"],
        start_new_session=True,
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
        stopped: list[int] = []
        stop_groups([stubborn.pid], timeout=0.2, on_stopped=stopped.append)
        assert stopped == [stubborn.pid]
    finally:
        if stubborn.poll() is None:
            stubborn.kill()
        stubborn.wait(timeout=5)
        assert stubborn.stdout is not None
        stubborn.stdout.close()
