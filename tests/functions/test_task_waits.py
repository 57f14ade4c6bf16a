"""A step told to wait (429) reschedules itself; its bookkeeping never leaks into the chain."""

from __future__ import annotations

from support.fakes import FakeGraph, World
from support.functions import function_client

from kindred.core.errors import RetryLater
from kindred.core.options import AnalysisOptions
from kindred.services.submit import submit
from kindred.web import tasks


class ThrottledOnce(FakeGraph):
    throttled = False

    def followers(self, actor, cursor, limit):
        if not ThrottledOnce.throttled:
            ThrottledOnce.throttled = True
            raise RetryLater("429", retry_at=1_800_000_100.0)
        return super().followers(actor, cursor, limit)


def test_a_throttled_step_waits_for_the_window_then_continues_cleanly(monkeypatch):
    world = World([(n, 0) for n in range(1, 8)])
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    name, step, payload = world.queue.pending.popleft()

    def throttling_deps():
        deps = world.deps()
        graph = ThrottledOnce(world.edges, deps.meter)
        deps.graph = lambda _: graph
        return deps

    monkeypatch.setattr(tasks.bootstrap, "deps", throttling_deps)
    app = function_client("tasks")
    headers = {"X-CloudTasks-QueueName": "upstream-local", "X-CloudTasks-TaskName": name}
    waited = app.post(f"/{step}", json=payload, headers=headers)
    assert waited.status_code == 200 and "waiting_until" in waited.get_json()
    wait_name, wait_step, wait_payload = world.queue.pending.popleft()
    assert (wait_name, wait_step) == (f"{name}-w1", step)
    assert wait_payload["delivery"] == {"waits": 1, "task_base": name}

    headers["X-CloudTasks-TaskName"] = wait_name
    assert app.post(f"/{wait_step}", json=wait_payload, headers=headers).status_code == 200
    assert world.queue.pending, "the step continued"
    for _, _, continued in world.queue.pending:
        assert continued["delivery"] == {"waits": 0, "task_base": None}
    assert submitted.id in wait_name
