"""Fault injection: which requests fail, how, and what the failed answer looks like.

The decision is a pure function of (seed, method, actor, cursor, attempt), where attempt counts
how often this server has seen that same request. So a run with the same seed fails the same
requests however the client's threads interleave, and a retried request draws again and can
succeed, exactly what a crawler's retry logic needs to be tested against.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

KINDS = ("5xx", "slow", "malformed", "429")
_JSON = "application/json; charset=utf-8"
_HTML_PAGE = (
    "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center></body></html>\n"
)
_SERVER_ERRORS = (  # what the AppView or the proxies in front of it answer when they fail
    (500, _JSON, b'{"error":"InternalServerError","message":"Internal Server Error"}'),
    (502, "text/html", _HTML_PAGE.format("502 Bad Gateway").encode()),
    (503, "text/html", _HTML_PAGE.format("503 Service Temporarily Unavailable").encode()),
    (503, _JSON, b'{"error":"UpstreamFailure","message":"Upstream Failure"}'),
)


@dataclass(frozen=True)
class Fault:
    """One injected failure: its kind, a variant number that picks its shape, and seconds
    (the sleep of `slow`, the length of a `429` burst)."""

    kind: str
    variant: int
    seconds: float = 0.0


@dataclass(frozen=True)
class FaultPlan:
    """Fail `share` of requests, spread evenly over `kinds`, reproducibly for `seed`."""

    share: float = 0.0
    kinds: tuple[str, ...] = KINDS
    seed: int = 0
    slow_seconds: float = 15.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"fault share {self.share} is outside 0..1")
        unknown = [kind for kind in self.kinds if kind not in KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds {list(self.kinds)} must be some of {list(KINDS)}")

    @property
    def enabled(self) -> bool:
        return self.share > 0.0

    def decide(self, method: str, actor: str, cursor: str, attempt: int) -> Fault | None:
        """The fault for this attempt at this request, or None to answer normally."""
        if not self.enabled:
            return None
        key = f"{self.seed}|{method}|{actor}|{cursor}|{attempt}".encode()
        digest = hashlib.blake2b(key, digest_size=16).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.share:
            return None
        kind = self.kinds[digest[8] % len(self.kinds)]
        seconds = {"slow": self.slow_seconds, "429": 1 + digest[10] % 3}.get(kind, 0.0)
        return Fault(kind, digest[9], float(seconds))


def parse_kinds(text: str) -> tuple[str, ...]:
    """`5xx,slow` -> ("5xx", "slow"); raises ValueError naming what is not a kind."""
    kinds = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"fault kinds {text!r}: {unknown or 'none'} not among {','.join(KINDS)}")
    return kinds


def server_error(fault: Fault) -> tuple[int, str, bytes]:
    """(status, content type, body) of a `5xx` fault: JSON like the AppView, or a proxy's HTML."""
    return _SERVER_ERRORS[fault.variant % len(_SERVER_ERRORS)]


def malformed(fault: Fault, good: bytes) -> bytes:
    """A 200 body that does not parse: the real answer cut short, HTML, or nothing."""
    shapes = (good[: max(1, len(good) // 2)], b"<html><body>Bad gateway</body></html>", b"")
    body = shapes[fault.variant % len(shapes)]
    if body:  # make sure a cut can never land on a complete document
        try:
            json.loads(body)
        except ValueError:
            return body
        return body[:-1]
    return body


class AttemptCounter:
    """Counts how often each request key has been seen (thread-safe), from 0."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], int] = {}
        self._lock = threading.Lock()

    def next(self, key: Sequence[str]) -> int:
        key = tuple(key)
        with self._lock:
            attempt = self._seen.get(key, 0)
            self._seen[key] = attempt + 1
        return attempt

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
