"""Waiting out an upstream's rate-limit window without spending the queue's retry attempts.

A step that hears "429, reset at T" is not failing: it re-enqueues itself, under a new
deterministic name, for T plus a small spread, and its current delivery ends as a success.
The spread (0-2 s, from the name) keeps the waiting steps from all firing at the reset.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kindred.services.deps import Deps

WAIT_KEYS = ("waits", "task_base")  # delivery bookkeeping: never passed on to continuations
MAX_WAITS = 50  # past this many windows the step lets the queue's own retry policy take over
SPREAD_SECONDS = 2.0


def wait_for_window(
    deps: Deps, queue: str, task: str, step: str, payload: dict[str, Any], retry_at: float
) -> bool:
    """Schedule the same step again for the window's reset; False when it has waited enough."""
    waits = int(payload.get("waits", 0)) + 1
    if waits > MAX_WAITS:
        return False
    base = payload.get("task_base") or task
    name = f"{base}-w{waits}"
    spread = int(hashlib.blake2b(name.encode(), digest_size=2).hexdigest(), 16) / 65535
    at = max(retry_at, deps.clock.now()) + spread * SPREAD_SECONDS
    deps.queue.enqueue(queue, name, step, {**payload, "waits": waits, "task_base": base}, at=at)
    return True
