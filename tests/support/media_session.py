"""The local graph server's media answered in-process: a requests.Session over GraphService.

The adapters run unchanged (streamed reads, error names, counts); only the sockets are gone.
"""

from __future__ import annotations

import io
import time
import urllib.parse
from typing import Any

import requests
import urllib3

from kindred.adapters.bluesky import BlueskyGraph
from kindred.core.cost import Meter
from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.graph import Graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.images import ImageMaker
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RatePolicy
from kindred_infra.graph_server.service import DID_DOCUMENT, GraphService

BASE = "http://graph.test"


def media_service(graph: Graph, image_bytes: int = 4_000) -> GraphService:
    return GraphService(
        GraphApi(graph, Identity("ego-twitter"), ImageMaker.build(image_bytes)),
        FixedWindowLimiter(RatePolicy.parse("0")),
        blob_limiter=FixedWindowLimiter(RatePolicy.parse("0")),
    )


class ServiceSession(requests.Session):
    """Answers GET {BASE}/xrpc/<method> and {BASE}/{did} (DID documents) from the service;
    counts the calls by method (`did_document` for the documents)."""

    def __init__(self, service: GraphService):
        super().__init__()
        self.service = service
        self.calls: dict[str, int] = {}

    def get(self, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = urllib.parse.urlsplit(url).path
        method = path.rsplit("/", 1)[1] if path.startswith("/xrpc/") else DID_DOCUMENT
        self.calls[method] = self.calls.get(method, 0) + 1
        params = kwargs.get("params") or {}
        query = {k: [str(v)] for k, v in params.items()}
        if method == DID_DOCUMENT:  # the PLC directory's `GET /{did}`
            reply = self.service.did_document(urllib.parse.unquote(path[1:]), BASE)
        else:
            reply = self.service.xrpc(method, query, "10.0.0.1", BASE, time.time())
        response = requests.Response()
        response.status_code = reply.status
        headers = {"content-type": reply.content_type, **reply.headers}
        response.headers.update(headers)
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(reply.body), headers=headers, status=reply.status,
            preload_content=False,
        )  # fmt: skip
        return response


def graph_over(session: ServiceSession) -> Any:
    """A World `graph` factory: the Bluesky adapter over the session, on each meter."""
    return lambda meter: BlueskyGraph(BASE, meter if isinstance(meter, Meter) else Meter(), session)
