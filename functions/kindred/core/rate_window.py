"""What one instance has heard of an upstream's rate-limit window, shared by its threads.

A 429 names when the upstream's window reopens. Every step this instance runs before then
would spend a call only to hear the same 429 (at 100 dispatches/s, a 2 s penalty is 200
wasted calls), so the first 429 closes the window here and later steps wait without calling.
One instance's memory and no write: in the cloud each instance learns it once.
"""

from __future__ import annotations

import threading


class RateWindow:
    """The time (epoch seconds) before which the upstream is known to refuse calls."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def close_until(self, until: float) -> None:
        with self._lock:
            self._until = max(self._until, until)

    def closed_until(self, now: float) -> float | None:
        """When the window reopens, if it is closed at `now`; None when calls may go."""
        until = self._until
        return until if now < until else None
