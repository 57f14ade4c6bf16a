"""Cloud Functions entry points: each parses the request, calls one use case and answers."""

from __future__ import annotations

import flask
import functions_framework

from kindred import __version__
from kindred.config import Settings


@functions_framework.http
def api(request: flask.Request) -> flask.Response:
    """The public HTTP API."""
    if request.path.rstrip("/") in ("", "/healthz"):
        settings = Settings.from_env()
        return flask.jsonify(status="ok", version=__version__, project=settings.project)
    return flask.make_response(
        flask.jsonify(error="not_found", message=f"no route for {request.method} {request.path}"),
        404,
    )
