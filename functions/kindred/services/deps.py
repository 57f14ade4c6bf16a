"""What a use case works with: the ports, the clock, the settings and this invocation's meter."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kindred.config import Settings
from kindred.core.cost import Meter
from kindred.ports import BlobStore, Clock, GraphSource, JobStore, Mailer, TaskQueue


@dataclass
class Deps:
    settings: Settings
    store: JobStore
    blobs: BlobStore
    queue: TaskQueue
    graph: Callable[[str], GraphSource]  # provider name -> its graph source
    clock: Clock
    meter: Meter
    resolve: Callable[[str], Iterable[str]] = lambda host: ()  # host -> its IP addresses
    notify: Callable[[str, dict[str, Any]], bool] = lambda url, body: False  # URL, body -> sent?
    mailer: Mailer | None = None  # None: this deployment sends no e-mail
    attempt: int = 0  # earlier failed deliveries of the task this invocation serves
