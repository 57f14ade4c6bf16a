"""Waiting out an upstream's rate-limit window without spending the queue's retry attempts.

A step that hears "429, reset at T" is not failing: it re-enqueues itself, under a new
deterministic name, for T plus a small spread, and its current delivery ends as a success.
The spread (0-2 s, from the name) keeps the waiting steps from all firing at the reset.
When to wait at all is `core.retry`'s rule.
"""

from __future__ import annotations

import hashlib

from kindred.core.messages import Delivery, Message
from kindred.services.deps import Deps
from kindred.services.handoff import send

SPREAD_SECONDS = 2.0


def wait_for_window(deps: Deps, task: str, message: Message, retry_at: float) -> float:
    """Schedule the same step again for the window's reset; returns when it will run."""
    base = message.delivery.task_base or task
    waits = message.delivery.waits + 1
    name = f"{base}-w{waits}"
    spread = int(hashlib.blake2b(name.encode(), digest_size=2).hexdigest(), 16) / 65535
    at = max(retry_at, deps.clock.now()) + spread * SPREAD_SECONDS
    send(deps, name, message, at=at, delivery=Delivery(waits, base))
    return at
