"""Request counters behind `GET /_stats`, so tests and benchmarks can see what a client sent."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Thread-safe counts of rate-limited requests, by method, throttled and failed on purpose."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_method: Counter[str] = Counter()
        self._requests = self._throttled = self._injected = 0

    def request(self, method: str) -> None:
        with self._lock:
            self._requests += 1
            self._by_method[method] += 1

    def throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def injected(self) -> None:
        with self._lock:
            self._injected += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "by_method": dict(sorted(self._by_method.items())),
                "throttled": self._throttled,
                "errors_injected": self._injected,
            }

    def reset(self) -> None:
        with self._lock:
            self._by_method.clear()
            self._requests = self._throttled = self._injected = 0
