"""kindred's log lines: Cloud Logging's structured JSON, one object per line, fields from extras."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

from kindred import logs


def record(level: int, message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.getLogger("kindred").makeRecord(
        "kindred", level, "/src/kindred/web/tasks.py", 42, message, args, None, "handle", extra
    )
    made.created = 1_800_000_000.25
    return made


def test_a_record_with_extras_becomes_one_json_object_with_those_fields():
    line = logs.JsonFormatter().format(
        record(
            logging.INFO,
            "follows of %s: ok",
            "abc",
            analysis="abc",
            step="follows",
            task="abc-g0-f0-p1",
            upstream_calls=1,
        )
    )
    assert "\n" not in line
    entry = json.loads(line)
    assert entry == {
        "severity": "INFO",
        "message": "follows of abc: ok",
        "time": "2027-01-15T08:00:00.250000Z",
        "analysis": "abc",
        "step": "follows",
        "task": "abc-g0-f0-p1",
        "upstream_calls": 1,
    }
    assert datetime.fromisoformat(entry["time"]).timestamp() == 1_800_000_000.25


def test_warnings_and_errors_say_where_they_come_from_and_carry_their_traceback():
    try:
        raise ValueError("bad page")
    except ValueError:
        failed = record(logging.ERROR, "crashed")
        failed.exc_info = sys.exc_info()
    entry = json.loads(logs.JsonFormatter().format(failed))
    assert entry["severity"] == "ERROR"
    assert (
        entry["message"].startswith("crashed\nTraceback")
        and "ValueError: bad page" in entry["message"]
    )
    assert entry["logging.googleapis.com/sourceLocation"] == {
        "file": "/src/kindred/web/tasks.py",
        "line": "42",
        "function": "handle",
    }
    warned = json.loads(logs.JsonFormatter().format(record(logging.WARNING, "retry later")))
    assert warned["severity"] == "WARNING" and "logging.googleapis.com/sourceLocation" in warned


def test_setup_once_writes_json_lines_to_the_current_stdout(capsys):
    logs.setup()
    logs.setup()
    ours = [h for h in logging.getLogger("kindred").handlers if isinstance(h, logs._Stdout)]
    assert len(ours) == 1  # pytest's capture handlers may sit beside it
    logging.getLogger("kindred").info("hello %s", "there", extra={"analysis": "x1"})
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["hello there"]
    assert json.loads(lines[0])["analysis"] == "x1"
