"""A pool of daemon threads for HTTP deliveries.

Not `ThreadPoolExecutor`: its threads are joined at interpreter exit, so one delivery stuck on a
30-minute deadline would hold up the emulator's shutdown. Daemon threads are simply abandoned;
the task they carried is still in the store and goes out again after a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WorkerPool:
    """Runs submitted jobs on up to `size` threads, started as they are needed."""

    def __init__(self, size: int, name: str = "dispatch") -> None:
        self._size = size
        self._name = name
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
            elif len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._jobs.put(job)

    def stop(self) -> None:
        """Ask every thread to finish after its current job; does not wait for them."""
        with self._lock:
            for _ in self._threads:
                self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:
                log.exception("dispatch job failed")
            with self._lock:
                self._idle += 1
