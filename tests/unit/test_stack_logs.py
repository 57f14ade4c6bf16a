"""`kindred logs`: kindred's JSON lines shown readably, other lines as they are, one part or all."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from kindred_infra import cli
from kindred_infra.stack import logs

STEP = {
    "severity": "INFO",
    "message": "follows of an4lysis: ok (1 upstream call, 1 task, 12 ms)",
    "time": "2027-01-15T08:00:00.250000Z",
    "analysis": "an4lysis",
    "step": "follows",
    "upstream_calls": 1,
}


def local_clock(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M:%S.%f")[:12]


def test_a_json_line_shows_time_part_severity_and_message():
    shown = logs.render("function:tasks", json.dumps(STEP), width=18)
    assert shown == (
        f"function:tasks      {local_clock(STEP['time'])} INFO    "
        "follows of an4lysis: ok (1 upstream call, 1 task, 12 ms)"
    )


def test_the_analysis_and_step_are_added_when_the_message_does_not_say_them():
    line = json.dumps({**STEP, "severity": "WARNING", "message": "upstream answered 503"})
    shown = logs.render("function:tasks", line)
    assert shown.endswith("WARNING upstream answered 503  analysis=an4lysis step=follows")


def test_a_traceback_stays_indented_under_its_message():
    line = json.dumps({**STEP, "severity": "ERROR", "message": "crashed\nTraceback (most recent"})
    first, second = logs.render("function:tasks", line).splitlines()
    assert first.endswith("ERROR   crashed  analysis=an4lysis step=follows")
    assert second.strip() == "Traceback (most recent" and second.index("T") == first.index("cr")


@pytest.mark.parametrize(
    "line", ["Starting server at 127.0.0.1:8620", '{"not": "a log entry"}', "{broken json"]
)
def test_other_lines_are_shown_as_they_are(line):
    assert logs.render("storage", line, width=9) == f"storage    {line}"


@pytest.fixture
def home(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "function-tasks.log").write_text(json.dumps(STEP) + "\n")
    (tmp_path / "logs" / "storage.log").write_text("Starting server at 127.0.0.1:8620\n")
    return tmp_path


def test_kindred_logs_shows_every_part_or_one(home):
    every = CliRunner().invoke(cli.main, ["logs", "--home", str(home)])
    assert every.exit_code == 0, every.output
    assert every.output.splitlines() == [
        "storage             Starting server at 127.0.0.1:8620",
        logs.render("function:tasks", json.dumps(STEP), width=len("function:scheduler")),
    ]
    one = CliRunner().invoke(cli.main, ["logs", "function:tasks", "--home", str(home)])
    assert one.output.splitlines() == [logs.render("function:tasks", json.dumps(STEP), 14)]


def test_an_unknown_part_is_refused_with_the_known_ones(home):
    refused = CliRunner().invoke(cli.main, ["logs", "function:task", "--home", str(home)])
    assert refused.exit_code == 1
    assert "no part 'function:task'" in refused.output
    for known in ("firestore", "storage", "tasks", "graph", "function:api", "function:tasks"):
        assert known in refused.output


def test_follow_gives_what_is_there_then_each_new_whole_line_and_survives_a_fresh_log(tmp_path):
    old = tmp_path / "tasks.log"
    old.write_text("one\ntw")
    missing = tmp_path / "graph.log"
    lines = logs.follow([("tasks", old), ("graph", missing)], sleep=lambda seconds: None)
    assert next(lines) == ("tasks", "one")
    with old.open("a") as out:
        out.write("o\n")  # the rest of a line half-written before
    assert next(lines) == ("tasks", "two")
    missing.write_text("graph up\n")
    assert next(lines) == ("graph", "graph up")
    with old.open("a") as out:
        out.write("last of the old run\n")
    old.replace(tmp_path / "tasks.log.1")  # what a new `kindred up` does
    old.write_text("first of the new run\n")
    assert next(lines) == ("tasks", "last of the old run")
    assert next(lines) == ("tasks", "first of the new run")
    lines.close()
