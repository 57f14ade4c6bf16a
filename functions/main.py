"""Cloud Functions entry points: each parses the request, calls one use case and answers."""

from __future__ import annotations

import flask
import functions_framework

from kindred import bootstrap
from kindred.services.submit import start_queued
from kindred.services.sweep import sweep
from kindred.web import api as api_routes
from kindred.web import tasks as task_steps
from kindred.web.responses import json_response


@functions_framework.http
def api(request: flask.Request) -> flask.Response:
    """The public HTTP API: POST /analyses, GET /analyses/{id}, GET /analyses/{id}/results."""
    return api_routes.handle(request)


@functions_framework.http
def tasks(request: flask.Request) -> flask.Response:
    """Pipeline steps, delivered by Cloud Tasks as POST /{step}."""
    return task_steps.handle(request)


@functions_framework.http
def scheduler(request: flask.Request) -> flask.Response:
    """Cron: start queued analyses, best priority first, while there is room."""
    return json_response({"started": start_queued(bootstrap.deps())})


@functions_framework.http
def sweeper(request: flask.Request) -> flask.Response:
    """Cron: move analyses that have made no progress for too long on to their next stage."""
    return json_response({"moved": sweep(bootstrap.deps())})
