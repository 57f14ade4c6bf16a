"""One HTTP delivery of a task, as Cloud Tasks makes it: the request, its headers, the outcome.

The dispatcher decides when; this module only builds the request and sends it (stdlib
`http.client`, one connection per attempt, no redirects followed: a 3xx is a failure, as in
Cloud Tasks).
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from google.cloud import tasks_v2

from . import names, times
from .tasks import EXECUTIONS

USER_AGENT = "Google-Cloud-Tasks"
Signer = Callable[[str, str], str]  # (audience, service account email) -> a signed token
# Headers the service sets itself; a task's own values for these are dropped.
_OWN = {"host", "content-length", "transfer-encoding", "user-agent", "connection"}


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    timeout: float


@dataclass(frozen=True)
class Outcome:
    """An HTTP status, or None and an error (timeout, refused connection, past the deadline)."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def responded(self) -> bool:
        return self.status is not None and self.error is None


def request_for(task: tasks_v2.Task, sign: Signer | None = None) -> Request:
    """The HTTP request for the task's next attempt, with the X-CloudTasks-* headers.

    With `sign`, a task that asks for an OIDC token gets one, as Cloud Tasks adds it.
    """
    task_pb = tasks_v2.Task.pb(task)
    spec = task_pb.http_request
    headers = {
        key: value
        for key, value in spec.headers.items()
        if key.lower() not in _OWN and not key.lower().startswith("x-cloudtasks-")
    }
    headers.update(
        {
            "User-Agent": USER_AGENT,
            "X-CloudTasks-QueueName": names.short(names.queue_of(task.name)),
            "X-CloudTasks-TaskName": names.short(task.name),
            "X-CloudTasks-TaskRetryCount": str(task_pb.dispatch_count),
            # Responses other than 5xx only, as Cloud Tasks counts them (not response_count).
            "X-CloudTasks-TaskExecutionCount": spec.headers.get(EXECUTIONS, "0"),
            "X-CloudTasks-TaskETA": f"{times.seconds(task_pb.schedule_time):.6f}",
        }
    )
    if sign is not None and spec.HasField("oidc_token"):
        audience = spec.oidc_token.audience or spec.url
        headers["Authorization"] = f"Bearer {sign(audience, spec.oidc_token.service_account_email)}"
    method = tasks_v2.HttpMethod(spec.http_method or tasks_v2.HttpMethod.POST).name
    return Request(method, spec.url, headers, spec.body, times.seconds(task_pb.dispatch_deadline))


def deliver(request: Request) -> Outcome:
    """Send the request once; an answer after `request.timeout` counts as a failure."""
    url = urllib.parse.urlsplit(request.url)
    connection_type = (
        http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(url.hostname or "", url.port, timeout=request.timeout)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    started = time.monotonic()
    try:
        connection.request(
            request.method, target, body=request.body or None, headers=request.headers
        )
        response = connection.getresponse()
        response.read()
    except TimeoutError:
        return Outcome(None, f"deadline exceeded ({request.timeout:g} s)")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    if elapsed > request.timeout:
        return Outcome(None, f"deadline exceeded: HTTP {response.status} after {elapsed:.1f} s")
    return Outcome(response.status)
