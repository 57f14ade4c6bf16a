"""The emulator's API errors, one class per gRPC status code it answers with.

The store and the request handling raise these; only `servicer.py` turns them into gRPC statuses,
so nothing below the servicer knows about gRPC.
"""

from __future__ import annotations


class ApiError(Exception):
    """A request the emulator refuses; the message says what it found."""


class InvalidArgument(ApiError):
    """The request is malformed (a bad name, a field out of range)."""


class NotFound(ApiError):
    """The queue or task does not exist (any more)."""


class AlreadyExists(ApiError):
    """The queue exists, or the task name is taken or was used within the dedup window."""


class FailedPrecondition(ApiError):
    """The request is well formed but the resource is in the wrong state for it."""
