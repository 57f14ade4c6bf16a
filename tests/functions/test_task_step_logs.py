"""Each delivery of a step leaves one JSON line on stdout: the step, the analysis, what came of
it, the upstream calls and tasks it made, and how long it took."""

from __future__ import annotations

import json

from support.fakes import FakeGraph, World
from support.functions import function_client

from kindred.core.errors import RetryLater
from kindred.core.options import AnalysisOptions
from kindred.services.submit import submit
from kindred.web import tasks


def step_lines(out: str) -> list[dict]:
    entries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [entry for entry in entries if "step" in entry]


def test_a_step_logs_its_outcome_its_spending_and_a_repeat_logs_duplicate(monkeypatch, capsys):
    world = World([(n, 0) for n in range(1, 8)])
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    name, step, payload = world.queue.pending.popleft()
    monkeypatch.setattr(tasks.bootstrap, "deps", world.deps)
    app = function_client("tasks")
    headers = {"X-CloudTasks-QueueName": "upstream-local", "X-CloudTasks-TaskName": name}
    assert app.post(f"/{step}", json=payload, headers=headers).status_code == 200
    assert app.post(f"/{step}", json=payload, headers=headers).status_code == 200
    done, again = step_lines(capsys.readouterr().out)

    assert done["severity"] == "INFO" and done["outcome"] == "ok"
    assert (done["analysis"], done["step"], done["task"]) == (submitted.id, step, name)
    assert done["upstream_calls"] == 1 and done["tasks_created"] >= 1
    assert done["seconds"] >= 0 and done["time"].endswith("Z")
    assert done["message"].startswith(f"{step} of {submitted.id}: ok (1 upstream call, ")
    assert (again["outcome"], again["analysis"], again["upstream_calls"]) == (
        "duplicate",
        submitted.id,
        0,
    )


class AlwaysThrottled(FakeGraph):
    def followers(self, actor, cursor, limit):
        self._spend()
        raise RetryLater("429 from the upstream", retry_at=1_800_000_100.0)


class AlwaysDown(FakeGraph):
    def followers(self, actor, cursor, limit):
        self._spend()
        raise RetryLater("upstream answered 503")


def test_waiting_and_retrying_say_so_with_the_reason(monkeypatch, capsys):
    world = World([(n, 0) for n in range(1, 8)])
    submit(world.deps(), "a0", "local", AnalysisOptions())
    name, step, payload = world.queue.pending.popleft()
    app = function_client("tasks")
    headers = {"X-CloudTasks-QueueName": "upstream-local", "X-CloudTasks-TaskName": name}
    for graph in (AlwaysThrottled, AlwaysDown):

        def deps(graph=graph):
            made = world.deps()
            fake = graph(world.edges, made.meter)
            made.graph = lambda _: fake
            return made

        monkeypatch.setattr(tasks.bootstrap, "deps", deps)
        if graph is AlwaysDown:
            headers.pop("X-CloudTasks-TaskName")  # no task name: nothing to wait under
        app.post(f"/{step}", json=dict(payload), headers=headers)
    waiting, retry = step_lines(capsys.readouterr().out)
    assert waiting["outcome"] == "waiting" and waiting["severity"] == "INFO"
    assert "waiting until 2027-01-15T08:01:40.000Z: 429 from the upstream" in waiting["message"]
    assert waiting["tasks_created"] == 1  # the step again, for the window's reset
    assert retry["outcome"] == "retry" and retry["severity"] == "WARNING"
    assert "retry later: upstream answered 503" in retry["message"]
