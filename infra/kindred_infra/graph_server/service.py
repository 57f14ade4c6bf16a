"""Everything the server answers, as `Reply` values, with the clock passed in.

The order of an XRPC request, and of a Mastodon one, is: count it, apply its dialect's rate
limit, draw a fault, answer. Keeping
that here (not in the HTTP handler) lets unit tests drive the whole pipeline without sockets;
a `slow` fault is a `delay` on the reply, and only the handler actually sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from kindred_infra.graph_server import mastodon as masto
from kindred_infra.graph_server.api import GET_BLOB, GraphApi, Params, XrpcError
from kindred_infra.graph_server.faults import (
    AttemptCounter,
    Fault,
    FaultPlan,
    malformed,
    server_error,
)
from kindred_infra.graph_server.media import MediaError, RawBlob
from kindred_infra.graph_server.plc import did_document, not_registered
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RateDecision, RatePolicy
from kindred_infra.graph_server.stats import Stats

JSON = "application/json; charset=utf-8"
MASTODON_RATE_LIMITED = {"error": "Too many requests"}
DID_DOCUMENT = "did_document"  # its count in /_stats: the PLC directory's `GET /{did}`
RATE_LIMITED = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
NOT_FOUND = {"error": "NotFound", "message": "Not Found"}


@dataclass(frozen=True)
class Reply:
    """One HTTP answer; `delay` is how long to wait before sending it."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return Reply(status, body, JSON, headers or {})


@dataclass(frozen=True)
class Dialect:
    """How one dialect limits: its window, how it names the window in headers, its 429 body."""

    limiter: FixedWindowLimiter
    headers: Callable[[RateDecision], dict[str, str]]
    refusal: dict[str, str]


@dataclass
class GraphService:
    """The graph server without HTTP: XRPC with limits and faults, health, stats, avatars."""

    api: GraphApi
    limiter: FixedWindowLimiter
    faults: FaultPlan = field(default_factory=FaultPlan)
    stats: Stats = field(default_factory=Stats)
    attempts: AttemptCounter = field(default_factory=AttemptCounter)
    info: dict[str, Any] = field(default_factory=dict)  # extra fields for /_health
    # getBlob's host (the PDS) counts its own window, as Bluesky's PDS does (3000/300).
    blob_limiter: FixedWindowLimiter = field(
        default_factory=lambda: FixedWindowLimiter(RatePolicy(0))
    )
    # Mastodon's dialect: a server of its own, 300 requests per 5 minutes per address.
    mastodon_limiter: FixedWindowLimiter = field(
        default_factory=lambda: FixedWindowLimiter(RatePolicy(0))
    )
    # Its media files: served outside its API (no documented limit), so none unless set.
    mastodon_media_limiter: FixedWindowLimiter = field(
        default_factory=lambda: FixedWindowLimiter(RatePolicy(0))
    )

    def xrpc(self, method: str, params: Params, client: str, base_url: str, now: float) -> Reply:
        """Answer `GET /xrpc/<method>` for a client address at time `now`."""
        known = method in self.api.methods
        self.stats.request(method if known else "unknown")
        limiter = self.blob_limiter if method == GET_BLOB else self.limiter
        actor = (
            ",".join(params.get("actors", ())) or _first(params, "actor") or _first(params, "did")
        )
        cursor = _first(params, "cursor") or _first(params, "cid")
        draw = (method, actor, cursor) if known else None
        return self._serve(
            Dialect(limiter, RateDecision.headers, RATE_LIMITED),
            client, now, draw,
            lambda headers: self._answer(method, params, base_url, headers),
        )  # fmt: skip

    def mastodon(self, path: str, params: Params, client: str, base_url: str, now: float) -> Reply:
        """Answer `GET /api/v1/accounts...` in Mastodon's dialect (its own limit, 300/5 min)."""
        where = masto.route(path)
        if where is None:
            return json_reply(404, {"error": masto.NOT_FOUND})
        self.stats.request(where.method)
        key = where.key or ",".join(params.get("id[]", ())) or _first(params, "acct")
        cursor = "|".join(_first(params, k) for k in ("max_id", "min_id", "since_id"))
        return self._serve(
            Dialect(self.mastodon_limiter, RateDecision.mastodon_headers, MASTODON_RATE_LIMITED),
            client, now, (where.method, key, cursor),
            lambda headers: self._mastodon_answer(where, params, base_url, headers),
        )  # fmt: skip

    def mastodon_media(self, path: str, client: str, now: float) -> Reply:
        """Answer `GET /system/media_attachments/files/...`: an attachment's file, with its
        type and length (no content hash), counted as `mastodon.media`; faults apply."""
        self.stats.request(masto.MEDIA_METHOD)
        return self._serve(
            Dialect(self.mastodon_media_limiter, RateDecision.mastodon_headers,
                    MASTODON_RATE_LIMITED),
            client, now, (masto.MEDIA_METHOD, path, ""),
            lambda headers: self._mastodon_file(path, headers),
        )  # fmt: skip

    def _mastodon_file(self, path: str, headers: dict[str, str]) -> Reply:
        try:
            found = self.api.mastodon.media_file(path)
        except masto.MastodonError as exc:
            return json_reply(exc.status, exc.body(), headers)
        cache = {"Cache-Control": "public, max-age=86400"}
        return Reply(200, found.data, found.mime, {**headers, **cache})

    def _serve(
        self,
        dialect: Dialect,
        client: str,
        now: float,
        draw: tuple[str, str, str] | None,
        answer: Callable[[dict[str, str]], Reply],
    ) -> Reply:
        """The order of every rate-limited request: the limit, then a fault, then the answer."""
        decision = dialect.limiter.hit(client, now)
        if decision is not None and not decision.allowed:
            return self._throttled(dialect, decision)
        headers = dialect.headers(decision) if decision else {}
        fault = None if draw is None else self._draw(*draw)
        if fault is not None and fault.kind == "429":
            return self._throttled(
                dialect, dialect.limiter.penalise(client, int(fault.seconds), now)
            )
        if fault is not None and fault.kind == "5xx":
            self.stats.injected()
            status, content_type, body = server_error(fault)
            return Reply(status, body, content_type, headers)
        reply = answer(headers)
        if fault is not None and fault.kind == "malformed":
            self.stats.injected()
            return Reply(200, malformed(fault, reply.body), reply.content_type, reply.headers)
        if fault is not None and fault.kind == "slow":
            self.stats.injected()
            return replace(reply, delay=fault.seconds)
        return reply

    def health(self) -> Reply:
        graph = self.api.graph
        data = {"status": "ok", "graph": self.api.identity.dataset, "nodes": graph.nodes}
        return json_reply(200, {**data, "edges": graph.edges, **self.info})

    def stats_reply(self) -> Reply:
        return json_reply(200, self.stats.snapshot())

    def reset(self) -> Reply:
        """Zero the counters and the fault attempts, so a seeded run can be replayed."""
        self.stats.reset()
        self.attempts.clear()
        return json_reply(200, self.stats.snapshot())

    def avatar(self, did: str) -> Reply:
        svg = self.api.avatar(did)
        if svg is None:
            return json_reply(404, NOT_FOUND)
        return Reply(200, svg, "image/svg+xml", {"Cache-Control": "public, max-age=86400"})

    def image(self, did: str, cid: str) -> Reply:
        """The CDN's `/img/<preset>/plain/<did>/<cid>@<ext>`: the original bytes, no limit."""
        if self.api.media is None:
            return json_reply(404, NOT_FOUND)
        try:
            blob = self.api.media.blob(did, cid)
        except MediaError:
            return json_reply(404, NOT_FOUND)
        return Reply(200, blob.data, blob.mime, {"Cache-Control": "public, max-age=86400"})

    def did_document(self, did: str, base_url: str) -> Reply:
        """PLC's `GET /{did}` (with --media): the account's DID document, its PDS this server.
        Counted in /_stats as `did_document`; PLC's limit is not this server's, so none here."""
        if self.api.media is None:
            return json_reply(404, NOT_FOUND)
        self.stats.request(DID_DOCUMENT)
        document = did_document(self.api.graph, self.api.identity, did, base_url)
        if document is None:
            return json_reply(404, not_registered(did))
        return json_reply(200, document)

    def _answer(self, method: str, params: Params, base_url: str, headers: dict[str, str]) -> Reply:
        try:
            answer = self.api.call(method, params, base_url)
        except XrpcError as exc:
            return json_reply(exc.status, exc.body(), headers)
        if isinstance(answer, RawBlob):
            disposition = {"content-disposition": "attachment", "x-content-type-options": "nosniff"}
            return Reply(200, answer.data, answer.mime, {**headers, **disposition})
        return json_reply(200, answer, headers)

    def _mastodon_answer(
        self, where: masto.Route, params: Params, base_url: str, headers: dict[str, str]
    ) -> Reply:
        try:
            answer = self.api.mastodon.call(where, params, base_url)
        except masto.MastodonError as exc:
            return json_reply(exc.status, exc.body(), headers)
        link = {"Link": answer.link} if answer.link else {}
        return json_reply(200, answer.body, {**headers, **link})

    def _draw(self, method: str, actor: str, cursor: str) -> Fault | None:
        if not self.faults.enabled:
            return None
        attempt = self.attempts.next((method, actor, cursor))
        return self.faults.decide(method, actor, cursor, attempt)

    def _throttled(self, dialect: Dialect, decision: RateDecision) -> Reply:
        self.stats.throttled()
        if decision.penalised:
            self.stats.injected()
        return json_reply(429, dialect.refusal, dialect.headers(decision))


def _first(params: Params, name: str) -> str:
    values = params.get(name)
    return values[0] if values else ""
