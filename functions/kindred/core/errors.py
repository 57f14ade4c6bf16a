"""One family of errors, split by what the caller should do about them."""

from __future__ import annotations


class KindredError(Exception):
    """Base of every error kindred raises on purpose."""


class InvalidInput(KindredError):
    """The request is wrong; the message says what was found and what is allowed (HTTP 4xx)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(InvalidInput):
    """The request is right but the thing it names is not ready for it yet (HTTP 409): a
    collection still running, an export whose manifest is not written."""


class NotFound(KindredError):
    """The thing asked for does not exist (an account upstream, an analysis here); `field`
    names the request's field that asked for it, when one did."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RetryLater(KindredError):
    """A passing failure (429, 5xx, timeout, garbled body): try the same step again later.

    `retry_at` is the epoch second the upstream named (a rate-limit reset), or None to let the
    queue's backoff decide. `kind` is the `error` an HTTP answer names (503).
    """

    kind = "upstream_unavailable"

    def __init__(self, message: str, retry_at: float | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class StoreUnavailable(RetryLater):
    """The job store (Firestore) did not answer in time or refused the connection; the message
    names the operation and the document or collection. Retried as any RetryLater (HTTP 503)."""

    kind = "store_unavailable"


class FailedForGood(KindredError):
    """A step that no retry will mend (private, deleted, malformed for good): record and skip.

    `reason` is a short stable word (`not_found`, `private`, `malformed`, ...) that results
    count skips by.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TooBusy(KindredError):
    """The caller already has as many analyses running as it may (HTTP 429)."""


class Unauthorized(KindredError):
    """No API key, or one that is not configured (HTTP 401)."""
