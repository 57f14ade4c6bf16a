"""Bluesky-style rate limiting: a fixed window of N requests per W seconds per client address.

Pure arithmetic: every method takes `now` (epoch seconds), so the policy is tested without
waiting. A lock makes one limiter safe to share between the server's threads. Penalties are
the short 429 bursts that fault injection adds on top of the window.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

_POLICY = re.compile(r"\s*([0-9]+)\s*(?:/\s*([0-9]+)\s*)?")
_PRUNE_EVERY = 1024


@dataclass(frozen=True)
class RatePolicy:
    """`limit` requests per `window` seconds; limit 0 turns rate limiting off."""

    limit: int
    window: int = 300

    @classmethod
    def parse(cls, text: str) -> RatePolicy:
        """Parse `3000/300` (requests/seconds) or `0` (off); raises ValueError."""
        match = _POLICY.fullmatch(text)
        if match is None or (match.group(2) is not None and int(match.group(2)) < 1):
            raise ValueError(f"rate limit {text!r} is not REQUESTS/SECONDS, e.g. 3000/300, or 0")
        window = int(match.group(2)) if match.group(2) is not None else 300
        return cls(int(match.group(1)), window)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def header(self) -> str:
        return f"{self.limit};w={self.window}"


@dataclass(frozen=True)
class RateDecision:
    """Whether one request may go on, and the `ratelimit-*` headers that describe the window."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # epoch seconds when the window (or penalty) ends
    policy: str
    retry_after: int = 0
    penalised: bool = False  # refused by a fault-injected burst, not by the window

    def headers(self) -> dict[str, str]:
        headers = {
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(math.ceil(self.reset)),
        }
        if self.limit > 0:  # a penalty while rate limiting is off has no policy to show
            headers = {"ratelimit-limit": str(self.limit), **headers}
            headers["ratelimit-policy"] = self.policy
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.retry_after))
        return headers

    def mastodon_headers(self) -> dict[str, str]:
        """The same window under Mastodon's names: `X-RateLimit-Reset` is an ISO 8601 time."""
        reset = datetime.fromtimestamp(self.reset, UTC).isoformat(timespec="microseconds")
        headers = {
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
        }
        if self.limit > 0:
            headers = {"X-RateLimit-Limit": str(self.limit), **headers}
        return headers


class FixedWindowLimiter:
    """Counts requests per client in windows that start at the client's first request."""

    def __init__(self, policy: RatePolicy) -> None:
        self.policy = policy
        self._windows: dict[str, tuple[float, int]] = {}  # client -> (window start, count)
        self._penalties: dict[str, float] = {}  # client -> epoch seconds the penalty ends
        self._lock = threading.Lock()
        self._hits = 0

    def hit(self, client: str, now: float) -> RateDecision | None:
        """Count one request; None when rate limiting is off and no penalty applies."""
        with self._lock:
            self._hits += 1
            if self._hits % _PRUNE_EVERY == 0:
                self._prune(now)
            penalty_end = self._penalties.get(client, 0.0)
            if not self.policy.enabled:
                return self._penalised(penalty_end, now) if penalty_end > now else None
            start, count = self._windows.get(client, (now, 0))
            if now >= start + self.policy.window:
                start, count = now, 0
            count += 1
            self._windows[client] = (start, count)
        reset = start + self.policy.window
        if penalty_end > now:
            return self._penalised(penalty_end, now)
        allowed = count <= self.policy.limit
        remaining = max(0, self.policy.limit - count)
        retry = 0 if allowed else math.ceil(reset - now)
        return RateDecision(allowed, self.policy.limit, remaining, reset, self.policy.header, retry)

    def penalise(self, client: str, seconds: int, now: float) -> RateDecision:
        """Refuse the client's requests for `seconds` (a 429 burst); returns the first refusal."""
        until = now + seconds
        with self._lock:
            self._penalties[client] = max(until, self._penalties.get(client, 0.0))
        return self._penalised(until, now)

    def _penalised(self, until: float, now: float) -> RateDecision:
        retry = max(1, math.ceil(until - now))
        return RateDecision(False, self.policy.limit, 0, until, self.policy.header, retry, True)

    def _prune(self, now: float) -> None:
        window = self.policy.window
        self._windows = {c: w for c, w in self._windows.items() if w[0] + window > now}
        self._penalties = {c: end for c, end in self._penalties.items() if end > now}
