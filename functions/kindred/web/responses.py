"""JSON answers and the one table that maps kindred's errors to HTTP."""

from __future__ import annotations

from typing import Any

import flask

from kindred.core.errors import (
    Conflict,
    FailedForGood,
    InvalidInput,
    KindredError,
    NotFound,
    RetryLater,
    TooBusy,
    Unauthorized,
)
from kindred.logs import log


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> flask.Response:
    response = flask.make_response(flask.jsonify(body), status)
    response.headers.update(headers or {})
    return response


def error_response(status: int, error: str, message: str, **extra: Any) -> flask.Response:
    return json_response({"error": error, "message": message, **extra}, status)


def from_error(error: KindredError) -> flask.Response:
    """4xx for what the caller can mend, 503 for what will pass; never a bare 500."""
    if isinstance(error, Unauthorized):
        response = error_response(401, "unauthorized", str(error))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(error, TooBusy):
        return error_response(429, "too_many_analyses", str(error))
    if isinstance(error, Conflict):
        return error_response(409, "conflict", str(error), field=error.field)
    if isinstance(error, InvalidInput):
        return error_response(400, "invalid_request", str(error), field=error.field)
    if isinstance(error, NotFound):
        named = {"field": error.field} if error.field else {}
        return error_response(404, "not_found", str(error), **named)
    if isinstance(error, FailedForGood):
        return error_response(422, error.reason, str(error))
    if isinstance(error, RetryLater):
        response = error_response(503, error.kind, f"{error}; try again shortly")
        response.headers["Retry-After"] = "30"
        return response
    log.error("unmapped kindred error: %r", error)
    return error_response(500, "internal", "an unexpected error; the logs say more")
