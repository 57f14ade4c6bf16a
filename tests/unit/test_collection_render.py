"""`kindred collect --wait`'s progress: the bar on a terminal and the plain lines of a log show
the accounts done and failed, the images and bytes stored, the calls and the time left."""

from __future__ import annotations

import io

from rich.console import Console

from kindred_infra import render

RUNNING = {
    "status": "running",
    "progress": {
        "accounts_total": 3, "accounts_done": 1, "accounts_failed": 1, "images_stored": 40,
        "images_pending": 12, "bytes_stored": 8_200_000, "upstream_calls": 43,
        "share": 0.5, "seconds_left": 95.0,
    },
}  # fmt: skip
DONE = {
    "status": "done",
    "progress": {**RUNNING["progress"], "accounts_done": 2, "images_stored": 52,
                 "images_pending": 0, "share": 1.0, "seconds_left": 0.0},
}  # fmt: skip


def shown(terminal: bool, *reports: dict) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=160, color_system=None)
    with render.collection_progress(console) as show:
        for report in reports:
            show(report)
    return out.getvalue()


def test_a_log_gets_plain_lines_with_the_counts_and_the_time_left():
    lines = shown(False, RUNNING, DONE).splitlines()
    assert lines == [
        "collecting: 2/3 accounts (1 failed), 40 images (12 to fetch), 8.2 MB stored, 43 calls, "
        "about 1m35s left",
        "done: 3/3 accounts (1 failed), 52 images, 8.2 MB stored, 43 calls",
    ]


def test_a_terminal_gets_a_bar_with_the_same_counts_and_the_estimate():
    text = shown(True, RUNNING)
    assert "2/3 accounts (1 failed), 40 images (12 to fetch), 8.2 MB stored, 43 calls" in text
    assert "about 1m35s left" in text and "collecting" in text


def test_without_an_estimate_the_bar_follows_the_accounts_ended():
    unknown = {**RUNNING, "progress": {**RUNNING["progress"], "share": None, "seconds_left": None}}
    assert render._collection_share(unknown) == 2 / 3
    assert "left" not in shown(False, unknown)
