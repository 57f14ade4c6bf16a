"""The task handler: Cloud Tasks delivers each pipeline step here as `POST /<step>`.

Answers decide what the queue does next: 2xx done (also for a step that failed for good and
was recorded), 503 try again later with the queue's backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import flask

from kindred import bootstrap
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, NotFound, RetryLater, Unauthorized
from kindred.logs import rfc3339
from kindred.services.aggregate import aggregate_step
from kindred.services.crawl import followers_step, follows_step
from kindred.services.rank import profiles_step, rank_step
from kindred.services.retry import WAIT_KEYS, wait_for_window
from kindred.web.responses import error_response, json_response, log
from kindred.web.task_auth import verify_task_request

STEPS = {
    "followers": followers_step,
    "follows": follows_step,
    "aggregate": aggregate_step,
    "profiles": profiles_step,
    "rank": rank_step,
}


class RecentlyDone:
    """Task names this instance finished, so a repeated delivery is answered without work.

    Cloud Tasks delivers at least once; the second copy of a finished step would only repeat
    its upstream call and have its continuation refused. An instance remembers the last
    `size` names it completed; a copy that lands on another instance is still harmless.
    """

    def __init__(self, size: int = 100_000):
        self.size = size
        self.names: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    def __contains__(self, name: str) -> bool:
        with self.lock:
            return name in self.names

    def add(self, name: str) -> None:
        with self.lock:
            self.names[name] = None
            while len(self.names) > self.size:
                self.names.popitem(last=False)


DONE = RecentlyDone()


def handle(request: flask.Request) -> flask.Response:
    began = time.monotonic()
    try:
        verify_task_request(request, bootstrap.settings())
    except Unauthorized as error:
        log.warning("refused a task request: %s", error)
        return error_response(401, "unauthorized", str(error))
    task = request.headers.get("X-CloudTasks-TaskName", "")
    if task and task in DONE:
        report = StepReport(request.path.strip("/"), request.get_json(silent=True), task, began)
        report.log(logging.INFO, "duplicate", "duplicate, answered without its work")
        return json_response({"duplicate": task}, 200)
    step = STEPS.get(request.path.strip("/"))
    payload = request.get_json(silent=True)
    if step is None or not isinstance(payload, dict) or "analysis" not in payload:
        # Answer 2xx: the queue must not retry a task that can never succeed.
        log.error("dropped a malformed task: %s %s", request.path, request.data[:200])
        return json_response({"dropped": "malformed task"}, 200)
    deps = bootstrap.deps()
    deps.attempt = int(request.headers.get("X-CloudTasks-TaskRetryCount", 0))
    report = StepReport(request.path.strip("/"), payload, task, began, deps.meter, deps.attempt)
    waited = {key: payload.pop(key) for key in WAIT_KEYS if key in payload}
    try:
        step(deps, payload)
    except RetryLater as error:
        queue = request.headers.get("X-CloudTasks-QueueName", "")
        name = request.path.strip("/")
        waiting = error.retry_at and queue and task
        if waiting and wait_for_window(deps, queue, task, name, payload | waited, error.retry_at):
            until = rfc3339(error.retry_at, "milliseconds")
            report.log(logging.INFO, "waiting", f"waiting until {until}: {error}")
            return json_response({"waiting_until": error.retry_at}, 200)
        report.log(logging.WARNING, "retry", f"retry later: {error}")
        return error_response(503, "retry_later", str(error))
    except (FailedForGood, NotFound) as error:
        report.log(logging.ERROR, "failed", f"failed for good: {error}")
        return json_response({"failed": str(error)}, 200)
    except Exception as error:
        report.log(logging.ERROR, "crashed", f"crashed: {error!r}", exc_info=True)
        raise
    if task:
        DONE.add(task)
    report.log(logging.INFO, "ok", "ok")
    return json_response({"ok": True, "cost": deps.meter.as_dict()})


@dataclass
class StepReport:
    """The one log line of a step's delivery: what it did, what it spent, how long it took."""

    step: str
    payload: Any
    task: str
    began: float
    meter: Meter = field(default_factory=Meter)
    attempt: int = 0

    def log(self, level: int, outcome: str, detail: str, exc_info: bool = False) -> None:
        analysis = self.payload.get("analysis") if isinstance(self.payload, dict) else None
        seconds = time.monotonic() - self.began
        calls, tasks = self.meter.upstream_calls, self.meter.tasks
        log.log(
            level,
            "%s of %s: %s (%s, %s, %.0f ms)",
            self.step,
            analysis,
            detail,
            _count(calls, "upstream call"),
            _count(tasks, "task"),
            seconds * 1000,
            exc_info=exc_info,
            extra={
                "analysis": analysis,
                "step": self.step,
                "task": self.task,
                "outcome": outcome,
                "attempt": self.attempt,
                "upstream_calls": calls,
                "tasks_created": tasks,
                "seconds": round(seconds, 3),
            },
        )


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")
