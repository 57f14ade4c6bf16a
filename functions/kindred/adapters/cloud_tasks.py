"""The TaskQueue on Cloud Tasks: HTTP tasks to the `tasks` function, named for idempotency."""

from __future__ import annotations

import json

from google.api_core.exceptions import AlreadyExists
from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

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
    ):
        self.client = client
        self.parent = parent  # projects/P/locations/L
        self.handler_url = handler_url.rstrip("/")
        self.meter = meter
        self.service_account = service_account

    def enqueue(
        self, queue: str, name: str, message: Message, at: float | None = None, carry: bool = True
    ) -> bool:
        queue_path = f"{self.parent}/queues/{queue}"
        self.meter.tasks += 1  # counted as asked for, so a carrying body holds its own task
        if carry:
            message = message.with_cost(Meter.total([message.cost, self.meter.take()]))
        request = tasks_v2.HttpRequest(
            url=f"{self.handler_url}/{message.STEP}",
            http_method=tasks_v2.HttpMethod.POST,
            headers={"content-type": "application/json"},
            body=json.dumps(message.to_dict(), separators=(",", ":")).encode(),
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
            return False
        return True
