"""The token bucket that paces a queue: pure arithmetic, the caller passes `now`."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TokenBucket:
    """Holds up to `capacity` tokens, refilled at `rate` per second; a dispatch takes one.

    It starts full, as Cloud Tasks' does, so a queue's first `capacity` tasks go out at once.
    """

    rate: float
    capacity: int
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, capacity: int, now: float) -> TokenBucket:
        capacity = max(1, capacity)
        return cls(rate=rate, capacity=capacity, tokens=float(capacity), updated=now)

    def available(self, now: float) -> int:
        """Whole tokens in the bucket at `now`."""
        self._refill(now)
        return math.floor(self.tokens + 1e-9)

    def take(self, now: float) -> bool:
        """Take one token if there is one; True when it did."""
        if self.available(now) < 1:
            return False
        self.tokens -= 1.0
        return True

    def wait(self, now: float) -> float:
        """Seconds from `now` until a token is available (0 when one already is)."""
        self._refill(now)
        missing = 1.0 - self.tokens
        if missing <= 1e-9:
            return 0.0
        return math.inf if self.rate <= 0 else missing / self.rate

    def reshape(self, rate: float, capacity: int, now: float) -> None:
        """Apply new limits (an UpdateQueue) without refilling the bucket."""
        self._refill(now)
        self.rate, self.capacity = rate, max(1, capacity)
        self.tokens = min(self.tokens, float(self.capacity))

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.capacity), self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
