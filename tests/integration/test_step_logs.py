"""After an analysis on the local stack, the tasks function's log tells what each step did."""

from __future__ import annotations

import time
from pathlib import Path

from support.api import analyse
from support.stack import step_entries

from kindred_infra.stack import logs


def test_the_tasks_function_logs_one_json_line_per_step_of_the_analysis(fast_stack):
    result = analyse(fast_stack, "u858051.ego-twitter.test", {"max_followers": 30, "results": 5})
    log = Path(fast_stack["KINDRED_HOME"]) / "logs" / "function-tasks.log"
    deadline = time.monotonic() + 10  # the last step logs just after it marks the analysis done
    while not any(e["step"] == "rank" for e in step_entries(log, result["id"])):
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)
    entries = step_entries(log, result["id"])
    steps = {entry["step"] for entry in entries}
    assert {"followers", "follows", "aggregate", "profiles", "rank"} <= steps, steps
    for entry in entries:
        assert entry["severity"] in ("INFO", "WARNING") and entry["time"].endswith("Z")
        assert entry["outcome"] in ("ok", "waiting", "retry", "duplicate")
        assert result["id"] in entry["message"]
    ok = [entry for entry in entries if entry["outcome"] == "ok"]
    submit_lookup = 1  # the api function's, when the analysis was submitted
    logged = sum(entry["upstream_calls"] for entry in ok)
    assert logged + submit_lookup == result["cost"]["upstream_calls"]

    shown = [line for _, line in logs.read(logs.part_logs(Path(fast_stack["KINDRED_HOME"])))]
    assert any(result["id"] in line for line in shown)
