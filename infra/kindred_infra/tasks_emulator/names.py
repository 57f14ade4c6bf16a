"""Cloud Tasks resource names: parse and validate `projects/P/locations/L/queues/Q/tasks/T`."""

from __future__ import annotations

import re
import secrets

from .errors import InvalidArgument

_PARENT = r"projects/(?P<project>[a-z0-9.:-]{1,100})/locations/(?P<location>[a-z0-9-]{1,100})"
_QUEUE = _PARENT + r"/queues/(?P<queue>[A-Za-z0-9-]{1,100})"
_TASK = _QUEUE + r"/tasks/(?P<task>[A-Za-z0-9_-]{1,500})"
PARENT, QUEUE, TASK = (re.compile(p) for p in (_PARENT, _QUEUE, _TASK))


def parent(name: str) -> str:
    """Validate `projects/P/locations/L`; raises InvalidArgument."""
    return _check(PARENT, name, "parent", "projects/PROJECT/locations/LOCATION")


def queue(name: str) -> str:
    """Validate a full queue name; raises InvalidArgument."""
    return _check(QUEUE, name, "queue name", "projects/P/locations/L/queues/QUEUE_ID")


def task(name: str) -> str:
    """Validate a full task name; raises InvalidArgument."""
    return _check(TASK, name, "task name", "projects/P/locations/L/queues/Q/tasks/TASK_ID")


def queue_of(task_name: str) -> str:
    """The queue a task name belongs to."""
    return task_name.rsplit("/tasks/", 1)[0]


def short(name: str) -> str:
    """The last segment of a resource name (the queue or task id)."""
    return name.rsplit("/", 1)[-1]


def parent_of(queue_name: str) -> str:
    return queue_name.rsplit("/queues/", 1)[0]


def new_task_id() -> str:
    """A random numeric id, like the ones Cloud Tasks generates for unnamed tasks."""
    return str(secrets.randbits(63))


def _check(pattern: re.Pattern[str], name: str, what: str, shape: str) -> str:
    if not pattern.fullmatch(name or ""):
        raise InvalidArgument(f"{what} {name!r} is not of the form {shape}")
    return name
