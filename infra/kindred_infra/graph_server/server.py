"""The HTTP layer: a threaded stdlib server whose handler only maps requests to GraphService.

Stdlib `ThreadingHTTPServer` with HTTP/1.1 keep-alive served more small requests per second
than werkzeug's threaded server here (see docs/decisions/0002-local-graph-server.md), and
needs no dependency. One thread per connection suits a crawler's few keep-alive clients.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kindred_infra.graph_server.mastodon import MEDIA_PREFIX
from kindred_infra.graph_server.service import NOT_FOUND, GraphService, Reply, json_reply

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_AVATAR = re.compile(r"/avatar/(did:[A-Za-z0-9._:%-]+)\.svg")
_IMAGE = re.compile(
    r"/img/feed_(?:thumbnail|fullsize)/plain/(did:[A-Za-z0-9._:%-]+)/(b[a-z2-7]+)@\w+"
)
_DID = re.compile(r"/(did:plc:[A-Za-z0-9._:%-]{1,2048})")
WRONG_METHOD = "Incorrect HTTP method (POST) expected GET"
INTERNAL_ERROR = {"error": "InternalServerError", "message": "Internal Server Error"}


class GraphHTTPServer(ThreadingHTTPServer):
    """Holds the service for its handlers; a deep backlog so bursts of connects are not refused."""

    daemon_threads = True  # a `slow` fault's sleeping thread must not delay shutdown
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], service: GraphService) -> None:
        self.service = service
        super().__init__(address, GraphHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up; print the traceback of anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class GraphHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections across pages
    wbufsize = 1 << 16  # headers and body leave in one send (flushed per request) ...
    disable_nagle_algorithm = True  # ... and at once: otherwise delayed ACKs add 40 ms each
    server_version = "kindred-graph-server"
    server: GraphHTTPServer

    def do_GET(self) -> None:
        try:
            reply = self._route_get()
        except Exception:  # a bug must not leave the client waiting: answer 500, log it
            traceback.print_exc()
            reply = json_reply(500, INTERNAL_ERROR)
        self._send(reply)

    def _route_get(self) -> Reply:
        service = self.server.service
        url = urlsplit(self.path)
        if url.path.startswith("/xrpc/"):
            params = parse_qs(url.query, keep_blank_values=True)
            method = url.path[len("/xrpc/") :]
            client = self.client_address[0]
            return service.xrpc(method, params, client, self._base_url(), time.time())
        if url.path.startswith("/api/"):
            params = parse_qs(url.query, keep_blank_values=True)
            client = self.client_address[0]
            return service.mastodon(url.path, params, client, self._base_url(), time.time())
        if url.path.startswith(MEDIA_PREFIX):
            return service.mastodon_media(url.path, self.client_address[0], time.time())
        if url.path == "/_health":
            return service.health()
        if url.path == "/_stats":
            return service.stats_reply()
        if match := _DID.fullmatch(url.path):
            return service.did_document(unquote(match.group(1)), self._base_url())
        if match := _AVATAR.fullmatch(url.path):
            return service.avatar(unquote(match.group(1)))
        if match := _IMAGE.fullmatch(url.path):
            return service.image(unquote(match.group(1)), match.group(2))
        return json_reply(404, NOT_FOUND)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))  # keep the stream in step
        path = urlsplit(self.path).path
        if path == "/_stats/reset":
            reply = self.server.service.reset()
        elif path.startswith("/xrpc/"):
            reply = json_reply(400, {"error": "InvalidRequest", "message": WRONG_METHOD})
        elif path.startswith("/api/"):  # writes need a user token, which nobody has here
            reply = json_reply(401, {"error": "The access token is invalid"})
        else:
            reply = json_reply(404, NOT_FOUND)
        self._send(reply)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: an access line per request would cost more than answering it."""

    def _base_url(self) -> str:
        host = self.headers.get("Host", "")
        if not _HOST.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address!s}:{port}"
        return f"http://{host}"

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except ConnectionError:
            self.close_connection = True  # the client gave up (e.g. timed out on a slow fault)


def start_server(host: str, port: int, service: GraphService) -> GraphHTTPServer:
    """Bind and serve on a background thread; stop with `server.shutdown()`."""
    server = GraphHTTPServer((host, port), service)
    serve = functools.partial(server.serve_forever, poll_interval=0.1)  # quick shutdown
    threading.Thread(target=serve, name="graph-server", daemon=True).start()
    return server
