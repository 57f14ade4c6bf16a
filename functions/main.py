"""Cloud Functions entry points: each parses the request, calls one use case and answers.

Each first makes sure the log is set up (`kindred.logs`: JSON lines on stdout), once.
"""

from __future__ import annotations

import flask
import functions_framework
from werkzeug.exceptions import HTTPException

from kindred import bootstrap, logs
from kindred.services.submit import start_queued
from kindred.services.sweep import sweep
from kindred.web import api as api_routes
from kindred.web import tasks as task_steps
from kindred.web.responses import error_response, json_response


def answer_json(error: HTTPException) -> flask.Response:
    """What Flask answers before any function runs (a path with a newline in it), in JSON."""
    request = flask.request
    if error.code == 404:
        return error_response(404, "not_found", f"no route for {request.method} {request.path!r}")
    word = error.name.lower().replace(" ", "_")
    return error_response(error.code or 500, word, error.description or error.name)


functions_framework.errorhandler(HTTPException)(answer_json)  # on the app loading this module
if flask.has_app_context():  # functions-framework loads this module inside its app's context
    flask.current_app.url_map.merge_slashes = False  # `//x` reaches the function, not a 308


@functions_framework.http
def api(request: flask.Request) -> flask.Response:
    """The public HTTP API: POST /analyses, GET /analyses/{id}, GET /analyses/{id}/results."""
    logs.setup()
    return api_routes.handle(request)


@functions_framework.http
def tasks(request: flask.Request) -> flask.Response:
    """Pipeline steps, delivered by Cloud Tasks as POST /{step}."""
    logs.setup()
    return task_steps.handle(request)


@functions_framework.http
def scheduler(request: flask.Request) -> flask.Response:
    """Cron: start queued analyses, best priority first, while there is room."""
    log = logs.setup()
    started = start_queued(bootstrap.deps())
    for analysis in started:
        log.info("started queued analysis %s", analysis, extra={"analysis": analysis})
    return json_response({"started": started})


@functions_framework.http
def sweeper(request: flask.Request) -> flask.Response:
    """Cron: move analyses that have made no progress for too long on to their next stage."""
    log = logs.setup()
    moved = sweep(bootstrap.deps())
    for analysis in moved:
        log.info("moved stale analysis %s on", analysis, extra={"analysis": analysis})
    return json_response({"moved": moved})
