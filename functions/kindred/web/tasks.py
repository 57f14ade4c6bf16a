"""The task handler: Cloud Tasks delivers each pipeline step here as `POST /<step>`.

The body is the step's message (`core.messages`), run by the step table (`services.pipeline`).
Answers decide what the queue does next, by the one retry rule (`core.retry`): 2xx done
(also for a body that cannot be read, and for a step that failed for good, which is logged),
503 try again later with the queue's backoff; a rate-limit window is waited out by a task
rescheduled for its reset, and this delivery answers 2xx.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import flask

from kindred import bootstrap
from kindred.core import messages, retry
from kindred.core.cost import Meter
from kindred.core.errors import KindredError, Unauthorized
from kindred.core.timestamps import rfc3339
from kindred.services import pipeline
from kindred.services.retry import wait_for_window
from kindred.web.responses import error_response, json_response, log
from kindred.web.task_auth import verify_task_body, verify_task_request


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
        verify_task_body(request, bootstrap.settings())
    except Unauthorized as error:
        log.warning("refused a task request: %s", error)
        return error_response(401, "unauthorized", str(error))
    step, task = request.path.strip("/"), request.headers.get("X-CloudTasks-TaskName", "")
    try:
        message = messages.from_dict(step, request.get_json(silent=True))
    except messages.BadMessage as error:
        # Answer 2xx: the queue must not retry a task that can never be read.
        log.error("refused a task %s: %s (%r)", task or request.path, error, request.data[:200])
        return json_response({"refused": str(error)}, 200)
    if task and task in DONE:
        StepReport(step, message.analysis, task, began).log(
            logging.INFO, "duplicate", "duplicate, answered without its work"
        )
        return json_response({"duplicate": task}, 200)
    deps = bootstrap.deps()
    deps.attempt = _retry_count(request.headers.get("X-CloudTasks-TaskRetryCount", ""))
    report = StepReport(step, message.analysis, task, began, deps.meter, deps.attempt)
    try:
        pipeline.run(deps, message)
    except KindredError as error:
        decision = retry.decide(error, deps.attempt, message.delivery.waits)
        if decision.action is retry.Action.WAIT and task and decision.at is not None:
            wait_for_window(deps, task, message, decision.at)
            until = rfc3339(decision.at)
            report.log(logging.INFO, "waiting", f"waiting until {until}: {error}")
            return json_response({"waiting_until": decision.at}, 200)
        if decision.action is not retry.Action.GIVE_UP:
            report.log(logging.WARNING, "retry", f"retry later: {error}")
            return error_response(503, "retry_later", str(error))
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
    analysis: str
    task: str
    began: float
    meter: Meter = field(default_factory=Meter)
    attempt: int = 0

    def log(self, level: int, outcome: str, detail: str, exc_info: bool = False) -> None:
        analysis = self.analysis
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


def _retry_count(header: str) -> int:
    """The queue's count of earlier attempts; 0 for anything but a small decimal number."""
    return int(header) if header.isascii() and header.isdigit() and len(header) < 7 else 0


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")
