"""A hostile upstream of the tests' own: the graph server's XRPC paths, misbehaving per account.

Each case is a small graph of its own: a target `t-<case>.hostile.test` followed by three
accounts who each follow the same candidates; what goes wrong is chosen by the case name:

- inject: every follows page carries forged DIDs (`did:plc:x<TAB>999999<LF>...`, a lone tab)
- endless: one follower's follows are empty pages with a fresh cursor, forever
- endless-followers: the target's followers go on as empty pages with fresh cursors
- long: the target's followers come as one page of 10,000 whatever the limit asked
- huge: the same with 100,000 followers (a body of ~7 MB)
- counts: the candidates' followersCount are "abc", 1e400, 10^30, -5, true (one is good)
- badcount: the target's own followersCount is "abc"
- drip: one follower's follows are sent a few bytes every 0.2 s, never done in time
- bigbody: one follower's follows are a 50 MB body with no declared length

A small threaded HTTP server on a free loopback port; `calls` counts requests by case.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

CASES = (
    "inject", "endless", "endless-followers", "long", "huge", "counts", "badcount", "drip",
    "bigbody",
)  # fmt: skip
FOLLOWERS = ("f1", "f2", "f3")
CANDIDATES = ("c1", "c2", "c3", "c4", "c5", "c6")
BAD_COUNTS = {"c1": '"abc"', "c2": "1e400", "c3": "1" + "0" * 30, "c4": "-5", "c5": "true"}


def did(name: str) -> str:
    digest = hashlib.blake2b(name.encode(), digest_size=15).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()


def handle(name: str) -> str:
    return f"{name}.hostile.test"


def target(case: str) -> str:
    return handle(f"t-{case}")


class HostileUpstream:
    def __init__(self) -> None:
        self.names = {}  # handle or DID -> (case, local name)
        for case in CASES:
            for name in ("t", *FOLLOWERS, *CANDIDATES):
                full = f"{name}-{case}"
                self.names[handle(full)] = self.names[did(full)] = (case, name)
        self.calls: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HostileUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                url = urlparse(self.path)
                params = {k: v for k, v in parse_qs(url.query).items()}
                # The client may stop reading: that is what a cap or a deadline does.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    upstream.answer(self, url.path.removeprefix("/xrpc/"), params)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def answer(self, out: BaseHTTPRequestHandler, method: str, params: dict) -> None:
        actor = (params.get("actor") or params.get("actors") or [""])[0]
        case, name = self.names.get(actor, ("", ""))
        self.calls[case] += 1
        if method == "app.bsky.actor.getProfile":
            if not case:
                return send(out, 400, {"error": "InvalidRequest", "message": "Profile not found"})
            return send_text(out, 200, self._profile_text(case, name))
        if method == "app.bsky.actor.getProfiles":
            known = [self.names[a] for a in params.get("actors", []) if a in self.names]
            texts = [self._profile_text(c, n) for c, n in known]
            return send_text(out, 200, '{"profiles": [' + ", ".join(texts) + "]}")
        cursor = (params.get("cursor") or [""])[0]
        if method == "app.bsky.graph.getFollowers":
            return self._followers(out, case, cursor)
        if method == "app.bsky.graph.getFollows":
            return self._follows(out, case, name, cursor)
        send(out, 404, {"error": "MethodNotImplemented", "message": method})

    def _profile_text(self, case: str, name: str) -> str:
        count = str(len(FOLLOWERS) if name == "t" else 3)
        if case == "counts" and name in BAD_COUNTS:
            count = BAD_COUNTS[name]
        if case == "badcount" and name == "t":
            count = '"abc"'
        full = f"{name}-{case}"
        return (
            f'{{"did": "{did(full)}", "handle": "{handle(full)}", "displayName": "{full}", '
            f'"followersCount": {count}, "followsCount": {len(CANDIDATES)}}}'
        )

    def _followers(self, out: BaseHTTPRequestHandler, case: str, cursor: str) -> None:
        entries = [entry(f"{name}-{case}") for name in FOLLOWERS]
        if case in ("long", "huge"):
            many = 10_000 if case == "long" else 100_000
            entries = [entry(FOLLOWERS[n % 3] + f"-{case}") for n in range(many)]
        if case == "endless-followers":
            page = int(cursor or 0)
            return send(
                out, 200, {"followers": entries if page == 0 else [], "cursor": str(page + 1)}
            )
        send(out, 200, {"followers": entries})

    def _follows(self, out: BaseHTTPRequestHandler, case: str, name: str, cursor: str) -> None:
        entries = [entry(f"{c}-{case}") for c in CANDIDATES]
        if case == "inject":
            forged = f"did:plc:x\t999999\n{did('c1-inject')}"
            entries += [
                {"did": forged, "handle": "x.test"},
                {"did": "did:plc:y\tz", "handle": "y.test"},
            ]
        if name == "f1" and case == "endless":
            page = int(cursor.removeprefix("fresh-") or 0)
            return send(out, 200, {"follows": [], "cursor": f"fresh-{page + 1}"})
        if name == "f1" and case == "drip":
            return drip(out, json.dumps({"follows": entries}).encode())
        if name == "f1" and case == "bigbody":
            return flood(out, 50_000_000)
        send(out, 200, {"follows": entries})


def entry(full: str) -> dict[str, str]:
    return {"did": did(full), "handle": handle(full)}


def send(out: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    send_text(out, status, json.dumps(body))


def send_text(out: BaseHTTPRequestHandler, status: int, text: str) -> None:
    data = text.encode()
    out.send_response(status)
    out.send_header("content-type", "application/json")
    out.send_header("content-length", str(len(data)))
    out.end_headers()
    out.wfile.write(data)


def drip(out: BaseHTTPRequestHandler, data: bytes, every: float = 0.2) -> None:
    """A whole answer at last, a few bytes at a time: each read is quick, the whole is not."""
    out.send_response(200)
    out.send_header("content-type", "application/json")
    out.send_header("content-length", str(len(data)))
    out.end_headers()
    for start in range(0, len(data), 4):
        out.wfile.write(data[start : start + 4])
        out.wfile.flush()
        time.sleep(every)


def flood(out: BaseHTTPRequestHandler, size: int) -> None:
    """`size` bytes of a follows list, with no length declared (the end is the connection's)."""
    out.send_response(200)
    out.send_header("content-type", "application/json")
    out.send_header("connection", "close")
    out.end_headers()
    out.close_connection = True
    item = json.dumps(entry("c1-bigbody")).encode() + b", "
    block = item * (65_536 // len(item))
    out.wfile.write(b'{"follows": [')
    for _ in range(size // len(block)):
        out.wfile.write(block)
    out.wfile.write(json.dumps(entry("c1-bigbody")).encode() + b"]}")
