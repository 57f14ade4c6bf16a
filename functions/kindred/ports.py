"""The boundaries of the core: what the use cases need from the outside world.

Each port has one adapter per real service in `kindred.adapters` and, in unit tests, a fake
that subclasses it. Docstrings say what each method raises, because the use cases decide
what to do from that alone.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from email.message import EmailMessage
from typing import IO, Any, Protocol

from kindred.core.accounts import Account, AccountProfile, Page
from kindred.core.media import MediaImage, MediaPage
from kindred.core.messages import Message

__all__ = [
    "Account",
    "AccountProfile",
    "BlobStore",
    "Clock",
    "GraphSource",
    "JobStore",
    "Mailer",
    "MediaSource",
    "Page",
    "TaskQueue",
]


class GraphSource(Protocol):
    """One upstream social graph (a provider). Every method is exactly one upstream call.

    Raises NotFound for an unknown account, FailedForGood for an account that cannot be read
    (private, suspended, hidden follows), RetryLater for 429, 5xx, timeouts and garbled bodies.
    """

    max_page: int  # the largest `limit` the upstream accepts
    max_batch: int  # the most actors one `profiles` call takes

    def profile(self, actor: str) -> AccountProfile: ...
    def profiles(self, actors: Sequence[str]) -> list[AccountProfile]: ...
    def followers(self, actor: str, cursor: str | None, limit: int) -> Page: ...
    def follows(self, actor: str, cursor: str | None, limit: int) -> Page: ...


class MediaSource(Protocol):
    """A provider's posts with images and their blobs. Every method that calls upstream is
    one upstream call.

    Raises NotFound for an unknown account, FailedForGood (with a reason: `deactivated`,
    `suspended`, `blob_not_found`, `too_large`, ...) for what no retry mends, RetryLater for
    429 (with its reset), 5xx, timeouts and garbled bodies.
    """

    max_page: int  # the largest feed `limit` the upstream accepts
    max_bytes: int  # the largest image file the upstream accepts
    # True when feed pages name the account by an id that a lookup gives (Mastodon's
    # /accounts/:id/statuses): `account_id` is then a call, in a task of its own.
    looks_up: bool

    def account_id(self, account: str) -> str:
        """What `media_page` takes for the account: the account itself (no call) or, when
        `looks_up`, its id (one call)."""
        ...

    def media_page(self, actor: str, cursor: str | None, limit: int, replies: bool) -> MediaPage:
        """One page of the actor's own posts with images, newest first (reposts left out)."""
        ...

    def blob(self, image: MediaImage, max_bytes: int) -> bytes:
        """The image's bytes as served (the caller checks them: `core.image_check`)."""
        ...


class TaskQueue(Protocol):
    """Cloud Tasks: a named task on a named queue, delivered at least once."""

    def enqueue(
        self, queue: str, name: str, message: Message, at: float | None = None, carry: bool = True
    ) -> bool:
        """Create the task for `message.STEP`; False if a task of that name exists or existed.

        With `carry`, the message's cost takes in what this invocation counted since it last
        carried, the task's creation included (`core.cost`).
        """
        ...


class JobStore(Protocol):
    """Firestore: analysis documents and the marker documents that make steps idempotent."""

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        """Create the document; False if it already exists (the `create()` precondition).

        Here and in `update`, a Meter in `data` carries this invocation's cost, this write
        included (`core.cost.carried`).
        """
        ...

    def get(self, path: str) -> dict[str, Any] | None: ...
    def update(self, path: str, data: Mapping[str, Any]) -> None: ...
    def count(self, collection: str, where: Sequence[tuple[str, str, Any]] = ()) -> int: ...
    def totals(self, collection: str, fields: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of documents and the sum of each field over them, in one read."""
        ...

    def list(self, collection: str) -> list[dict[str, Any]]: ...
    def query(
        self,
        collection: str,
        where: Sequence[tuple[str, str, Any]] = (),
        order_by: Sequence[tuple[str, str]] = (),
        limit: int | None = None,
    ) -> builtins.list[tuple[str, dict[str, Any]]]:
        """Documents as (id, data) pairs."""
        ...


class BlobStore(Protocol):
    """Cloud Storage: bulk data under deterministic names, so a rewrite is harmless."""

    def write(self, name: str, data: bytes) -> None: ...
    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        """`data` as JSON; a Meter in it carries this invocation's cost (`core.cost.carried`)."""
        ...

    def read(self, name: str) -> bytes:
        """Raises NotFound."""
        ...

    def read_all(self, names: Sequence[str]) -> dict[str, bytes]:
        """The objects among `names` that exist, by name, read several at once; a missing
        one is left out. Counts one read a name."""
        ...

    def exists(self, name: str) -> bool: ...
    def sizes(self, prefix: str) -> dict[str, int]:
        """The objects whose names start with `prefix`, and their sizes in bytes (one list)."""
        ...

    def stream(self, name: str) -> Iterator[bytes]:
        """The object in chunks, without holding it whole. Raises NotFound."""
        ...

    def writer(self, name: str, content_type: str) -> IO[bytes]:
        """A file that uploads what is written to it in chunks, never holding it whole; the
        object appears at close, and not at all if the writing ends in an exception."""
        ...

    def url(self, name: str, lifetime: int) -> tuple[str, float | None]:
        """(a URL anyone can GET the object at, with Range; the epoch second it expires, or
        None if it does not)."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class Mailer(Protocol):
    """An SMTP server that relays kindred's messages."""

    def send(self, message: EmailMessage) -> None:
        """Hand the message over (its To header is the recipient).

        Raises RetryLater when the server cannot be reached, times out or answers 4xx, and
        FailedForGood (`recipient_refused`, `smtp_refused`) when it refuses for good (5xx).
        """
        ...
