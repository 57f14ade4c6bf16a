"""The dispatch log: one row per HTTP delivery, for tests and benchmarks to read.

Kept free of gRPC and protobuf so a benchmark can read it with nothing but the standard library.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

DB_NAME = "tasks.sqlite3"
COLUMNS = (
    "task",
    "queue",
    "attempt",
    "started",
    "duration",
    "status",
    "error",
    "duplicate",
    "dropped",
)


@dataclass(frozen=True)
class Dispatch:
    """One delivery: `status` is the HTTP status, or None with `error` saying what went wrong.

    `duplicate` marks an injected second delivery of a success (--duplicates); `dropped` marks the
    last attempt of a task that ran out of retries.
    """

    task: str  # full task name
    queue: str  # full queue name
    attempt: int  # 1 for the first attempt
    started: float  # seconds since the epoch
    duration: float  # seconds
    status: int | None
    error: str | None = None
    duplicate: bool = False
    dropped: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def task_id(self) -> str:
        return self.task.rsplit("/", 1)[-1]

    @property
    def queue_id(self) -> str:
        return self.queue.rsplit("/", 1)[-1]

    def row(self) -> tuple[object, ...]:
        return tuple(getattr(self, column) for column in COLUMNS)


def read_dispatches(state_dir: str | Path, queue: str | None = None) -> list[Dispatch]:
    """Every dispatch so far, oldest first; `queue` (a queue id or full name) narrows it."""
    path = Path(state_dir) / DB_NAME
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM dispatches ORDER BY started, id")
        dispatches = [_dispatch(row) for row in rows]
    if queue is None:
        return dispatches
    return [d for d in dispatches if queue in (d.queue, d.queue_id)]


def _dispatch(row: tuple[object, ...]) -> Dispatch:
    values = dict(zip(COLUMNS, row, strict=True))
    values["duplicate"] = bool(values["duplicate"])
    values["dropped"] = bool(values["dropped"])
    return Dispatch(**values)  # type: ignore[arg-type]
