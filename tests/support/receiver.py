"""A recording HTTP receiver: what the queue dispatched, when, and how it was answered."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kindred_infra import process


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops a burst's connections (1 s SYN retry)


@dataclass(frozen=True)
class Arrival:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A threaded HTTP server that records every request and answers as its URL asks:
    `?fail=N` answers 500 to the first N requests for the path, `?status=S` always answers S,
    `?sleep=SECONDS` waits before answering."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.lock = threading.Condition()
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self) -> None:
                receiver.answer(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server((process.LOOPBACK, 0), Handler)

    def url(self, path: str, **behaviour: object) -> str:
        query = urllib.parse.urlencode(behaviour)
        return f"http://{process.LOOPBACK}:{self.server.server_port}{path}" + (
            f"?{query}" if query else ""
        )

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        ask = dict(urllib.parse.parse_qsl(url.query))
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        arrival = Arrival(time.time(), handler.command, url.path, dict(handler.headers), body)
        with self.lock:
            self.arrivals.append(arrival)
            seen = len(self.at(url.path))
            self.in_flight[url.path] = self.in_flight.get(url.path, 0) + 1
            most = max(self.most_in_flight.get(url.path, 0), self.in_flight[url.path])
            self.most_in_flight[url.path] = most
            self.lock.notify_all()
        time.sleep(float(ask.get("sleep", 0)))
        status = int(ask.get("status", 500 if seen <= int(ask.get("fail", 0)) else 200))
        with self.lock:
            self.in_flight[url.path] -= 1
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def at(self, path: str) -> list[Arrival]:
        with self.lock:
            return [arrival for arrival in self.arrivals if arrival.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[Arrival]:
        """The first `count` arrivals at path; fails if they do not come within timeout."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.at(path)) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{path}: {len(self.at(path))} of {count} arrived in {timeout} s"
                self.lock.wait(left)
            return self.at(path)[:count]


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver serving on a free loopback port until the block ends."""
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
