"""The public HTTP API: submit an analysis, read its status and its result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as NoRoute
from werkzeug.routing import Map, RoutingException, Rule

from kindred import __version__, bootstrap
from kindred.core import shards
from kindred.core.errors import InvalidInput, KindredError
from kindred.core.json_body import parse_object
from kindred.services import collect, notices, reports
from kindred.services import export as exports
from kindred.services.submit import parse_request, submit
from kindred.web import collection_page, html
from kindred.web.auth import client_of
from kindred.web.responses import error_response, from_error, json_response

MAX_BODY_BYTES = 16 * 1024
MAX_COLLECTION_BYTES = 4 * 1024 * 1024  # 100,000 accounts of up to ~40 characters

ROUTES = Map(
    [
        Rule("/healthz", endpoint="health", methods=["GET"]),
        Rule("/openapi.json", endpoint="openapi", methods=["GET"]),
        Rule("/analyses", endpoint="submit", methods=["POST"]),
        Rule("/analyses/<analysis>", endpoint="status", methods=["GET"]),
        Rule("/analyses/<analysis>/results", endpoint="results", methods=["GET"]),
        Rule("/collections", endpoint="collect", methods=["POST"]),
        Rule("/collections/<collection>", endpoint="collection", methods=["GET"]),
        Rule("/collections/<collection>/exports", endpoint="export", methods=["POST"]),
        Rule("/exports/<export>", endpoint="export_status", methods=["GET"]),
        Rule("/exports/<export>/manifest", endpoint="manifest", methods=["GET"]),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


def handle(request: flask.Request) -> flask.Response:
    try:
        endpoint, args = ROUTES.bind("", path_info=request.path).match(method=request.method)
    except MethodNotAllowed as error:
        allowed = ", ".join(sorted(error.valid_methods or ()))
        response = error_response(
            405, "method_not_allowed", f"{request.method} is not allowed on {request.path}"
        )
        response.headers["Allow"] = allowed
        return response
    except (NoRoute, RoutingException):  # RoutingException: a redirect, which the API never is
        return error_response(404, "not_found", f"no route for {request.method} {request.path}")
    try:
        return ENDPOINTS[endpoint](request, **args)
    except BodyTooLarge as error:
        return _unread(error_response(413, "body_too_large", str(error)))
    except KindredError as error:
        return from_error(error)


def health(request: flask.Request) -> flask.Response:
    return json_response({"status": "ok", "version": __version__})


def openapi(request: flask.Request) -> flask.Response:
    return flask.make_response(OPENAPI.read_bytes(), 200, {"content-type": "application/json"})


def create(request: flask.Request) -> flask.Response:
    settings = bootstrap.settings()
    client = client_of(request, settings.api_keys)
    body = _json_body(request)
    account, provider, options = parse_request(body, settings.providers)
    callback, email = body.get("callback_url"), notices.requested_address(body)
    submitted = submit(bootstrap.deps(), account, provider, options, client, callback, email)
    base = request.url_root.rstrip("/")
    body = {
        "id": submitted.id,
        "status": submitted.status,
        "existing": submitted.existing,
        "status_url": f"{base}/analyses/{submitted.id}",
        "results_url": f"{base}/analyses/{submitted.id}/results",
    }
    location = {"Location": f"{base}/analyses/{submitted.id}"}
    return json_response(body, 200 if submitted.existing else 202, location)


def status(request: flask.Request, analysis: str) -> flask.Response:
    reports.check_id(analysis)
    return json_response(reports.status(bootstrap.deps(), analysis))


def results(request: flask.Request, analysis: str) -> flask.Response:
    reports.check_id(analysis)
    return _negotiated(request, reports.result(bootstrap.deps(), analysis), html.render)


def _negotiated(
    request: flask.Request, body: dict[str, Any], page: Callable[[dict[str, Any]], str]
) -> flask.Response:
    """The page for a browser (Accept: text/html), else JSON (or with `?format=json`)."""
    wants = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if request.args.get("format") != "json" and wants == "text/html":
        response = flask.make_response(
            page(body), 200, {"content-type": "text/html; charset=utf-8"}
        )
    else:
        response = json_response(body)
    response.headers["Vary"] = "Accept"  # the same URL answers HTML or JSON by Accept
    return response


def create_collection(request: flask.Request) -> flask.Response:
    settings = bootstrap.settings()
    client = client_of(request, settings.api_keys)
    deps = bootstrap.deps()
    body = _json_body(request, MAX_COLLECTION_BYTES)
    email = notices.requested_address(body)  # before from_analysis is looked up
    accounts, provider, options = collect.accounts_requested(deps, body)
    collection = collect.submit(deps, accounts, provider, options, client, email)
    url = f"{request.url_root.rstrip('/')}/collections/{collection}"
    body = {"id": collection, "status": "running", "status_url": url}
    return json_response(body, 202, {"Location": url})


def collection_status(request: flask.Request, collection: str) -> flask.Response:
    return _negotiated(
        request, collect.status(bootstrap.deps(), collection), collection_page.render
    )


def create_export(request: flask.Request, collection: str) -> flask.Response:
    settings = bootstrap.settings()
    client_of(request, settings.api_keys)
    options = exports.parse_request(_json_body(request))
    made = exports.submit(bootstrap.deps(), collection, options)
    links = {"self": f"/exports/{made}", "manifest": f"/exports/{made}/manifest"}
    body = {"id": made, "collection": collection, "status": "running", "links": links}
    location = {"Location": f"{request.url_root.rstrip('/')}/exports/{made}"}
    return json_response(body, 202, location)


def export_status(request: flask.Request, export: str) -> flask.Response:
    return json_response(exports.status(bootstrap.deps(), export))


def export_manifest(request: flask.Request, export: str) -> flask.Response:
    lifetime = request.args.get("url_lifetime")
    seconds = None
    if lifetime is not None:
        low, high = shards.MIN_URL_LIFETIME, shards.MAX_URL_LIFETIME
        if not (lifetime.isascii() and lifetime.isdigit() and low <= int(lifetime) <= high):
            raise InvalidInput(
                f"url_lifetime must be a number of seconds from {low} to {high:,}, "
                f"not {lifetime[:40]!r}",
                "url_lifetime",
            )
        seconds = int(lifetime)
    return json_response(exports.manifest(bootstrap.deps(), export, seconds))


class BodyTooLarge(InvalidInput):
    """The body is over MAX_BODY_BYTES (HTTP 413)."""


def _unread(response: flask.Response) -> flask.Response:
    """The same answer as a stream, which functions-framework answers without first reading
    the rest of the request (it drains the body of any other answer: 200 MB of it here)."""
    body = response.get_data()
    response.response = iter([body])
    response.headers["Content-Length"] = str(len(body))
    return response


def _json_body(request: flask.Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object; at most `limit` bytes are read, chunked or not."""
    if request.mimetype != "application/json":
        raise InvalidInput(
            f"send the body as application/json, not {request.mimetype or 'nothing'}"
        )
    if (request.content_length or 0) > limit:
        raise BodyTooLarge(f"the body is over {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:  # a chunked body has no length to check first
        raise BodyTooLarge(f"the body is over {limit} bytes")
    return parse_object(raw)


OPENAPI = Path(__file__).with_name("openapi.json")
ENDPOINTS: dict[str, Callable[..., flask.Response]] = {
    "openapi": openapi,
    "health": health,
    "submit": create,
    "status": status,
    "results": results,
    "collect": create_collection,
    "collection": collection_status,
    "export": create_export,
    "export_status": export_status,
    "manifest": export_manifest,
}
