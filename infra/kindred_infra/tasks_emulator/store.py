"""Queues, pending tasks, name tombstones and the dispatch log in one SQLite file.

Everything the emulator must not lose on a restart lives here, so a stopped emulator picks up
where it left off. One connection behind one lock: the gRPC threads, the scheduler and the
dispatch workers all come through it, and every check-then-write runs under the lock, which is
what makes CreateTask's name de-duplication exact under concurrent calls.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from google.cloud import tasks_v2

from . import names
from .dedup import DedupWindow
from .errors import AlreadyExists, NotFound
from .log import COLUMNS, DB_NAME, Dispatch

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY, parent TEXT NOT NULL, proto BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    name TEXT PRIMARY KEY, queue TEXT NOT NULL, due REAL NOT NULL,
    leased INTEGER NOT NULL DEFAULT 0, proto BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (queue, leased, due);
CREATE TABLE IF NOT EXISTS tombstones (name TEXT PRIMARY KEY, gone_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dispatches (
    id INTEGER PRIMARY KEY, {", ".join(COLUMNS)});
"""
_INSERT_DISPATCH = (
    f"INSERT INTO dispatches ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
)


class Store:
    """The emulator's state; open with `Store.open(state_dir)`, `close()` when done."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()

    @classmethod
    def open(cls, state_dir: str | Path) -> Store:
        """Open (creating if needed) `tasks.sqlite3` in state_dir, in WAL mode."""
        path = Path(state_dir)
        path.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path / DB_NAME, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return cls(db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def release_leases(self) -> None:
        """Make tasks that were in flight when the last process stopped due again."""
        with self._lock, self._db:
            self._db.execute("UPDATE tasks SET leased = 0 WHERE leased != 0")

    # Queues

    def get_queue(self, name: str) -> tasks_v2.Queue | None:
        with self._lock:
            row = self._db.execute("SELECT proto FROM queues WHERE name = ?", (name,)).fetchone()
        return tasks_v2.Queue.deserialize(row[0]) if row else None

    def create_queue(self, queue: tasks_v2.Queue) -> None:
        """Raises AlreadyExists."""
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM queues WHERE name = ?", (queue.name,)).fetchone():
                raise AlreadyExists(f"queue {queue.name} already exists")
            self._put_queue(queue)

    def change_queue(
        self, name: str, change: Callable[[tasks_v2.Queue | None], tasks_v2.Queue]
    ) -> tasks_v2.Queue:
        """Read-modify-write one queue atomically; `change` gets None when it does not exist
        and may raise to leave it as it was."""
        with self._lock, self._db:
            row = self._db.execute("SELECT proto FROM queues WHERE name = ?", (name,)).fetchone()
            queue = change(tasks_v2.Queue.deserialize(row[0]) if row else None)
            self._put_queue(queue)
        return queue

    def list_queues(self, parent: str | None = None) -> list[tasks_v2.Queue]:
        query, args = "SELECT proto FROM queues ORDER BY name", tuple[str, ...]()
        if parent is not None:
            query, args = "SELECT proto FROM queues WHERE parent = ? ORDER BY name", (parent,)
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        return [tasks_v2.Queue.deserialize(row[0]) for row in rows]

    def delete_queue(self, name: str, now: float) -> None:
        """Delete the queue and its tasks (their names stay taken); raises NotFound."""
        with self._lock, self._db:
            if not self._db.execute("DELETE FROM queues WHERE name = ?", (name,)).rowcount:
                raise NotFound(f"queue {name} does not exist")
            self._bury("SELECT name FROM tasks WHERE queue = ?", (name,), now)

    def purge_queue(self, name: str, now: float) -> int:
        """Delete every task of the queue; returns how many. Raises NotFound."""
        with self._lock, self._db:
            self._require_queue(name)
            return self._bury("SELECT name FROM tasks WHERE queue = ?", (name,), now)

    # Tasks

    def add_task(self, task: tasks_v2.Task, due: float, now: float, window: DedupWindow) -> None:
        """Insert a new task; raises NotFound (no queue), AlreadyExists (name taken)."""
        queue = names.queue_of(task.name)
        with self._lock, self._db:
            self._require_queue(queue)
            if self._db.execute("SELECT 1 FROM tasks WHERE name = ?", (task.name,)).fetchone():
                raise AlreadyExists(f"task {task.name} already exists")
            row = self._db.execute(
                "SELECT gone_at FROM tombstones WHERE name = ?", (task.name,)
            ).fetchone()
            if window.blocks(row[0] if row else None, now):
                raise AlreadyExists(
                    f"task {task.name} ran or was deleted {now - row[0]:.0f} s ago; its name"
                    f" stays taken for {window.seconds:.0f} s"
                )
            self._db.execute(
                "INSERT INTO tasks (name, queue, due, proto) VALUES (?, ?, ?, ?)",
                (task.name, queue, due, tasks_v2.Task.serialize(task)),
            )

    def get_task(self, name: str) -> tasks_v2.Task | None:
        with self._lock:
            row = self._db.execute("SELECT proto FROM tasks WHERE name = ?", (name,)).fetchone()
        return tasks_v2.Task.deserialize(row[0]) if row else None

    def list_tasks(self, queue: str, offset: int, limit: int) -> list[tasks_v2.Task]:
        """A page of the queue's tasks in name order; raises NotFound."""
        with self._lock:
            self._require_queue(queue)
            rows = self._db.execute(
                "SELECT proto FROM tasks WHERE queue = ? ORDER BY name LIMIT ? OFFSET ?",
                (queue, limit, offset),
            ).fetchall()
        return [tasks_v2.Task.deserialize(row[0]) for row in rows]

    def delete_task(self, name: str, now: float) -> None:
        """Raises NotFound."""
        with self._lock, self._db:
            if not self._bury("SELECT name FROM tasks WHERE name = ?", (name,), now):
                raise NotFound(f"task {name} does not exist")

    def lease_due(self, queue: str, now: float, limit: int) -> list[tasks_v2.Task]:
        """Mark up to `limit` due tasks as in flight and return them, earliest first."""
        with self._lock, self._db:
            rows = self._db.execute(
                "SELECT name, proto FROM tasks WHERE queue = ? AND leased = 0 AND due <= ?"
                " ORDER BY due LIMIT ?",
                (queue, now, limit),
            ).fetchall()
            self._db.executemany(
                "UPDATE tasks SET leased = 1 WHERE name = ?", [(r[0],) for r in rows]
            )
        return [tasks_v2.Task.deserialize(row[1]) for row in rows]

    def lease(self, name: str) -> tasks_v2.Task | None:
        """Mark one task in flight whatever its schedule (RunTask); None if it does not exist."""
        with self._lock, self._db:
            row = self._db.execute("SELECT proto FROM tasks WHERE name = ?", (name,)).fetchone()
            self._db.execute("UPDATE tasks SET leased = 1 WHERE name = ?", (name,))
        return tasks_v2.Task.deserialize(row[0]) if row else None

    def release(self, name: str) -> None:
        """Put a leased task back as it was, due again (its attempt could not be recorded)."""
        with self._lock, self._db:
            self._db.execute("UPDATE tasks SET leased = 0 WHERE name = ?", (name,))

    def next_due(self, queue: str) -> float | None:
        """The earliest due time among the queue's tasks not in flight."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(due) FROM tasks WHERE queue = ? AND leased = 0", (queue,)
            ).fetchone()
        return row[0]

    def reschedule(self, task: tasks_v2.Task, due: float, dispatch: Dispatch) -> None:
        """Record a failed attempt: the task waits until `due`. A deleted task stays deleted."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE tasks SET proto = ?, due = ?, leased = 0 WHERE name = ?",
                (tasks_v2.Task.serialize(task), due, task.name),
            )
            self._log(dispatch)

    def finish(self, name: str, now: float, dispatch: Dispatch) -> None:
        """Record a final attempt (success, or out of retries): delete the task, keep its name."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM tasks WHERE name = ?", (name,))
            self._tombstone([name], now)
            self._log(dispatch)

    def record(self, dispatch: Dispatch) -> None:
        """Log a delivery that changes no task (an injected duplicate)."""
        with self._lock, self._db:
            self._log(dispatch)

    def forget_tombstones(self, before: float) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM tombstones WHERE gone_at < ?", (before,))

    # Helpers; the caller holds the lock.

    def _put_queue(self, queue: tasks_v2.Queue) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO queues (name, parent, proto) VALUES (?, ?, ?)",
            (queue.name, names.parent_of(queue.name), tasks_v2.Queue.serialize(queue)),
        )

    def _require_queue(self, name: str) -> None:
        if not self._db.execute("SELECT 1 FROM queues WHERE name = ?", (name,)).fetchone():
            raise NotFound(f"queue {name} does not exist")

    def _bury(self, select: str, args: tuple[object, ...], now: float) -> int:
        doomed = [row[0] for row in self._db.execute(select, args).fetchall()]
        self._db.executemany("DELETE FROM tasks WHERE name = ?", [(name,) for name in doomed])
        self._tombstone(doomed, now)
        return len(doomed)

    def _tombstone(self, task_names: Iterable[str], now: float) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO tombstones (name, gone_at) VALUES (?, ?)",
            [(name, now) for name in task_names],
        )

    def _log(self, dispatch: Dispatch) -> None:
        self._db.execute(_INSERT_DISPATCH, dispatch.row())
