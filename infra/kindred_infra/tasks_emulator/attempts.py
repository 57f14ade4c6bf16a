"""What one delivery attempt does to its task: the counts, the attempt records, and whether
the task is done, retried (and when) or dropped. Pure: times are passed in."""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import tasks_v2

from . import names, times
from .backoff import RetryPolicy
from .delivery import Outcome
from .tasks import EXECUTIONS

# HTTP status -> google.rpc.Code, for Task.last_attempt.response_status
_RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 429: 8, 499: 1, 501: 12, 503: 14, 504: 4}


@dataclass(frozen=True)
class Attempt:
    """One delivery handed to a worker; `task` holds the counts from before it."""

    task: tasks_v2.Task
    policy: RetryPolicy
    counted: bool  # takes one of the queue's concurrent slots (False for RunTask)
    duplicate: bool = False  # an injected second delivery of a success

    @property
    def queue(self) -> str:
        return names.queue_of(self.task.name)

    @property
    def number(self) -> int:
        """1 for the first attempt."""
        return self.task.dispatch_count + 1


@dataclass(frozen=True)
class Result:
    """The task after the attempt; `retry_at` None means it is finished (ok or dropped)."""

    task: tasks_v2.Task
    retry_at: float | None
    dropped: bool


def settle(attempt: Attempt, outcome: Outcome, started: float, ended: float) -> Result:
    """Count the attempt and decide: done on success, else retry per the queue's policy or drop."""
    task = recorded(attempt.task, outcome, started, ended)
    if outcome.ok:
        return Result(task, None, dropped=False)
    task_pb = tasks_v2.Task.pb(task)
    first = times.seconds(task_pb.first_attempt.dispatch_time)
    retry_at = attempt.policy.next_attempt(task_pb.dispatch_count, first, ended)
    if retry_at is None:
        return Result(task, None, dropped=True)
    times.set_time(task_pb.schedule_time, retry_at)
    return Result(task, retry_at, dropped=False)


def recorded(task: tasks_v2.Task, outcome: Outcome, started: float, ended: float) -> tasks_v2.Task:
    """A copy of the task with this attempt counted and recorded, as GetTask shows it."""
    updated = tasks_v2.Task.deserialize(tasks_v2.Task.serialize(task))
    task_pb = tasks_v2.Task.pb(updated)
    task_pb.dispatch_count += 1
    task_pb.response_count += int(outcome.responded)
    if outcome.responded and outcome.status is not None and outcome.status < 500:
        executions = int(task_pb.http_request.headers.get(EXECUTIONS, "0")) + 1
        task_pb.http_request.headers[EXECUTIONS] = str(executions)
    record = tasks_v2.Attempt.pb(tasks_v2.Attempt())
    record.schedule_time.CopyFrom(task_pb.schedule_time)
    times.set_time(record.dispatch_time, started)
    times.set_time(record.response_time, ended)
    record.response_status.code = rpc_code(outcome)
    record.response_status.message = outcome.error or f"HTTP {outcome.status}"
    if not task_pb.HasField("first_attempt"):  # Cloud Tasks fills only its dispatch_time
        task_pb.first_attempt.dispatch_time.CopyFrom(record.dispatch_time)
    task_pb.last_attempt.CopyFrom(record)
    return updated


def rpc_code(outcome: Outcome) -> int:
    """The google.rpc.Code Cloud Tasks reports for an attempt's outcome."""
    if outcome.ok:
        return 0
    if outcome.status is None:
        return 4 if outcome.error and "deadline" in outcome.error else 14
    return _RPC_CODES.get(outcome.status, 2 if outcome.status < 500 else 13)
