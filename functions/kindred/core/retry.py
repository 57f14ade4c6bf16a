"""The one retry rule: from an error, the delivery's attempt and its waits, what a step does.

- a rate-limit window (the upstream named its reset): wait for it, rescheduled by name, so
  no queue attempt is spent; past MAX_WAITS windows the queue's backoff takes over;
- any other passing failure (5xx, timeout, garbled body): retry with the queue's backoff,
  until GIVE_UP_AFTER failed deliveries;
- then, or at once for what no retry mends (not found, private, malformed): give up, and the
  step records what it lost and goes on;
- our own job store not answering is no upstream's fault and no reason to lose a step: it is
  retried with the queue's backoff for as long as the queue keeps the task.

`queue.yaml` must let every upstream queue deliver a task more often than GIVE_UP_AFTER, or
the queue would drop a task before its step recorded it: a test ties the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kindred.core.errors import (
    FailedForGood,
    KindredError,
    NotFound,
    RetryLater,
    StoreUnavailable,
)

GIVE_UP_AFTER = 5  # failed deliveries of one step before it gives up and records the loss
MAX_WAITS = 50  # rate-limit windows one step waits out before the queue's backoff decides


class Action(Enum):
    WAIT = "wait"  # reschedule for the window's reset; this delivery succeeds
    RETRY = "retry"  # answer 503: the queue retries with its backoff
    GIVE_UP = "give_up"  # record the loss under `reason` and go on


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    at: float | None = None  # WAIT: the epoch second to run again


def decide(error: KindredError, attempt: int, waits: int = 0) -> Decision:
    """attempt: the failed deliveries before this one; waits: the windows already waited out."""
    if isinstance(error, FailedForGood):
        return Decision(Action.GIVE_UP, error.reason)
    if isinstance(error, NotFound):
        return Decision(Action.GIVE_UP, "not_found")
    if isinstance(error, StoreUnavailable):  # our own store, not the upstream: never give up
        return Decision(Action.RETRY, "store_unavailable")
    if isinstance(error, RetryLater):
        if error.retry_at is not None and waits < MAX_WAITS:
            return Decision(Action.WAIT, "rate_limited", error.retry_at)
        if attempt < GIVE_UP_AFTER:
            return Decision(Action.RETRY, "upstream_error")
        return Decision(Action.GIVE_UP, "upstream_error")
    return Decision(Action.GIVE_UP, type(error).__name__)
