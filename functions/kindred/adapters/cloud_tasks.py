"""The TaskQueue on Cloud Tasks: HTTP tasks to the `tasks` function, named for idempotency.

Each body is signed with the functions' body key (`core.task_signature`), so the handler runs
only bodies this code enqueued under that task name.
"""

from __future__ import annotations

import json

from google.api_core.exceptions import AlreadyExists
from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

from kindred.core import task_signature
from kindred.core.cost import Meter
from kindred.core.messages import Message

DISPATCH_DEADLINE_SECONDS = 120


class CloudTaskQueue:
    def __init__(
        self,
        client: tasks_v2.CloudTasksClient,
        parent: str,
        handler_url: str,
        meter: Meter,
        service_account: str | None = None,
        body_key: str = "",
    ):
        self.client = client
        self.parent = parent  # projects/P/locations/L
        self.handler_url = handler_url.rstrip("/")
        self.meter = meter
        self.service_account = service_account
        self.body_key = body_key  # empty: bodies go unsigned (the handler then checks none)

    def enqueue(
        self, queue: str, name: str, message: Message, at: float | None = None, carry: bool = True
    ) -> bool:
        queue_path = f"{self.parent}/queues/{queue}"
        self.meter.tasks += 1  # counted as asked for, so a carrying body holds its own task
        if carry:
            message = message.with_cost(Meter.total([message.cost, self.meter.take()]))
        body = json.dumps(message.to_dict(), separators=(",", ":")).encode()
        headers = {"content-type": "application/json"}
        if self.body_key:
            headers[task_signature.HEADER] = task_signature.sign(
                self.body_key, message.STEP, name, body
            )
        request = tasks_v2.HttpRequest(
            url=f"{self.handler_url}/{message.STEP}",
            http_method=tasks_v2.HttpMethod.POST,
            headers=headers,
            body=body,
        )
        if self.service_account:
            request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self.service_account, audience=self.handler_url
            )
        task = tasks_v2.Task(
            name=f"{queue_path}/tasks/{name}",
            http_request=request,
            dispatch_deadline=duration_pb2.Duration(seconds=DISPATCH_DEADLINE_SECONDS),
        )
        if at is not None:
            task.schedule_time = timestamp_pb2.Timestamp(seconds=int(at), nanos=int(at % 1 * 1e9))
        try:
            self.client.create_task(parent=queue_path, task=task)
        except AlreadyExists:  # a duplicate: its body, and the cost it carried, go nowhere
            if not carry:
                self.meter.tasks -= 1  # nor its own count: no task was made
            return False
        return True
