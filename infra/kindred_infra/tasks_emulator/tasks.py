"""Task values as CreateTask accepts them and as the views return them."""

from __future__ import annotations

import urllib.parse
from typing import Any

from google.cloud import tasks_v2
from google.protobuf import duration_pb2

from . import names, times
from .errors import InvalidArgument

DEFAULT_DEADLINE = 600.0  # HTTP tasks: 10 minutes
MIN_DEADLINE, MAX_DEADLINE = 15.0, 1800.0
MAX_SCHEDULE_AHEAD = 30 * 86400.0
MAX_TASK_BYTES = 1024 * 1024
# A body is allowed only with these methods; Cloud Tasks answers InvalidArgument otherwise.
BODY_METHODS = {tasks_v2.HttpMethod.POST, tasks_v2.HttpMethod.PUT, tasks_v2.HttpMethod.PATCH}
# The task's count of non-5xx responses (X-CloudTasks-TaskExecutionCount), kept with the stored
# task as a header of its own: never delivered (X-CloudTasks-* are the service's), never shown.
EXECUTIONS = "x-cloudtasks-emulator-executions"


def prepare_new(parent: str, task: tasks_v2.Task, now: float) -> tasks_v2.Task:
    """The task CreateTask stores: named, scheduled, deadline set, output fields cleared.

    Raises InvalidArgument for a name outside the queue, a missing or non-HTTP target, a bad
    URL, a body with a method other than POST, PUT or PATCH, a schedule over 30 days ahead or
    a task over 1 MiB.
    """
    names.queue(parent)
    name = task.name or f"{parent}/tasks/{names.new_task_id()}"
    if names.queue_of(names.task(name)) != parent:
        raise InvalidArgument(f"task name {name} is not in queue {parent}")
    fresh = tasks_v2.Task(name=name, http_request=_http_request(task))
    fresh_pb, task_pb = tasks_v2.Task.pb(fresh), tasks_v2.Task.pb(task)
    times.set_time(fresh_pb.schedule_time, _schedule(task_pb, now))
    times.set_time(fresh_pb.create_time, now)
    times.set_duration(fresh_pb.dispatch_deadline, deadline(task_pb.dispatch_deadline))
    if fresh_pb.ByteSize() > MAX_TASK_BYTES:
        raise InvalidArgument(f"task is {fresh_pb.ByteSize()} bytes; the limit is 1 MiB")
    return fresh


def deadline(requested: duration_pb2.Duration) -> float:
    """The dispatch deadline in seconds: 10 min when unset, else clamped to [15 s, 30 min]."""
    length = times.seconds(requested)
    if length <= 0:
        return DEFAULT_DEADLINE
    return min(MAX_DEADLINE, max(MIN_DEADLINE, length))


def view(task: tasks_v2.Task, requested: int) -> tasks_v2.Task:
    """The task as a response shows it: BASIC (the default) leaves out the body, FULL keeps it."""
    shown = tasks_v2.Task.deserialize(tasks_v2.Task.serialize(task))
    if requested == tasks_v2.Task.View.FULL:
        shown.view = tasks_v2.Task.View.FULL
    else:
        shown.view = tasks_v2.Task.View.BASIC
        tasks_v2.Task.pb(shown).http_request.ClearField("body")
    tasks_v2.Task.pb(shown).http_request.headers.pop(EXECUTIONS, None)
    return shown


def _http_request(task: tasks_v2.Task) -> tasks_v2.HttpRequest:
    if "http_request" not in task:
        if "app_engine_http_request" in task:
            raise InvalidArgument("App Engine tasks are not supported here; use http_request")
        raise InvalidArgument("task has no http_request")
    request = tasks_v2.HttpRequest.deserialize(tasks_v2.HttpRequest.serialize(task.http_request))
    url = urllib.parse.urlsplit(request.url)
    if url.scheme not in ("http", "https") or not url.hostname or len(request.url) > 2083:
        raise InvalidArgument(f"http_request.url {request.url!r} is not an http(s) URL")
    if request.http_method == tasks_v2.HttpMethod.HTTP_METHOD_UNSPECIFIED:
        request.http_method = tasks_v2.HttpMethod.POST
    if request.body and request.http_method not in BODY_METHODS:
        method = tasks_v2.HttpMethod(request.http_method).name
        raise InvalidArgument(f"http_request has a body; a {method} task may not have one")
    tasks_v2.HttpRequest.pb(request).headers.pop(EXECUTIONS, None)
    return request


def _schedule(task_pb: Any, now: float) -> float:
    if not task_pb.HasField("schedule_time"):
        return now
    when = times.seconds(task_pb.schedule_time)
    if when > now + MAX_SCHEDULE_AHEAD:
        raise InvalidArgument(f"schedule_time is {when - now:.0f} s ahead; the limit is 30 days")
    return max(when, now)
