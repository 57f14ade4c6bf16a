"""How a step hands on: the next message, on the queue its step runs on, under a name."""

from __future__ import annotations

import dataclasses

from kindred.core.messages import (
    FIRST_DELIVERY,
    Delivery,
    ExportMessage,
    Message,
    SendMail,
    UpstreamMessage,
)
from kindred.services.deps import Deps


def send(
    deps: Deps,
    name: str,
    message: Message,
    at: float | None = None,
    carry: bool = True,
    delivery: Delivery = FIRST_DELIVERY,
) -> bool:
    """Enqueue `message` under `name`; False if that task exists or existed (a repeat).

    With `carry` (the rule), the message carries what this invocation spent; a message that
    starts a chain of its own (`carry=False`) starts at its own cost. The delivery
    bookkeeping is the new task's own: a continuation never inherits its sender's waits.
    """
    message = dataclasses.replace(message, delivery=delivery)
    if isinstance(message, UpstreamMessage):
        queue = deps.settings.upstream_queue(message.provider)
    elif isinstance(message, ExportMessage):  # storage-bound: a queue of its own
        queue = deps.settings.export_queue
    elif isinstance(message, SendMail):  # an SMTP outage must hold up nothing else
        queue = deps.settings.mail_queue
    else:
        queue = deps.settings.pipeline_queue
    return deps.queue.enqueue(queue, name, message, at, carry)
