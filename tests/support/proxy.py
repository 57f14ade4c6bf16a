"""A counting forward HTTP proxy: every client that honours HTTP_PROXY (requests, curl) goes
through it, and it records each request's Range and the response body bytes it passed on
(the pull tests and `bench.pull`, figure 17, count with it).
It can pace the bodies (so a kill lands mid-shard on any machine), cut a body off once after
some bytes (a lost connection), or drop the Range header (a server that ignores Range)."""

from __future__ import annotations

import http.client
import http.server
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}
CHUNK = 16 * 1024


@dataclass
class Passed:
    """One request through the proxy and what it passed on."""

    url: str
    range: str | None
    status: int = 0
    body_bytes: int = 0
    cut: bool = False


@dataclass
class CountingProxy:
    rate: float | None = None  # body bytes per second per response; None: as fast as it goes
    cut_after: int | None = None  # drop the first response that passes this many body bytes
    ignore_range: bool = False
    passed: list[Passed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def body_bytes(self, contains: str = "") -> int:
        with self.lock:
            return sum(p.body_bytes for p in self.passed if contains in p.url)

    def requests(self, contains: str = "") -> list[Passed]:
        with self.lock:
            return [p for p in self.passed if contains in p.url]

    def env(self) -> dict[str, str]:
        """Variables that send a child's HTTP through the proxy (loopback too)."""
        return {"HTTP_PROXY": self.url, "http_proxy": self.url, "NO_PROXY": "", "no_proxy": ""}

    def forward(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        target = urllib.parse.urlsplit(handler.path)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.pop("Proxy-Authorization", None)
        if self.ignore_range:
            headers.pop("Range", None)
        record = Passed(handler.path, handler.headers.get("Range"))
        with self.lock:
            self.passed.append(record)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request("GET", path, headers=headers)
        response = upstream.getresponse()
        record.status = response.status
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                handler.send_header(key, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        began = time.monotonic()
        try:
            while chunk := response.read(CHUNK):
                if self._cut(record, len(chunk)):
                    record.cut = True
                    return
                handler.wfile.write(chunk)
                handler.wfile.flush()
                with self.lock:
                    record.body_bytes += len(chunk)
                if self.rate:
                    time.sleep(max(0.0, began + record.body_bytes / self.rate - time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (killed, or gave up): what it took is counted
        finally:
            upstream.close()

    def _cut(self, record: Passed, coming: int) -> bool:
        with self.lock:
            if self.cut_after is None or record.body_bytes + coming <= self.cut_after:
                return False
            self.cut_after = None  # once
            return True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def counting_proxy(**options: object) -> Iterator[CountingProxy]:
    """A CountingProxy serving on a free loopback port until the block ends."""
    proxy = CountingProxy(**options)  # type: ignore[arg-type]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            proxy.forward(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
