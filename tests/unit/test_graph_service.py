"""The request pipeline without sockets: counting, rate limit, faults, reset and replay."""

from __future__ import annotations

import json

import pytest

from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.faults import FaultPlan
from kindred_infra.graph_server.graph import build_graph, parse_edges
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RatePolicy
from kindred_infra.graph_server.service import GraphService, Reply

pytestmark = pytest.mark.unit

T0 = 1_700_000_000.0
FOLLOWERS = "app.bsky.graph.getFollowers"
EDGES = b"".join(b"%d 100\n" % n for n in range(1, 60))


def service(rate: str = "0", faults: FaultPlan | None = None) -> GraphService:
    api = GraphApi(build_graph(parse_edges(EDGES)), Identity("tiny"))
    return GraphService(api, FixedWindowLimiter(RatePolicy.parse(rate)), faults or FaultPlan())


def get(svc: GraphService, method: str = FOLLOWERS, now: float = T0, **params: str) -> Reply:
    query = {key: [value] for key, value in {"actor": "u100.tiny.test", **params}.items()}
    return svc.xrpc(method, query, "127.0.0.1", "http://h", now)


def outcome(reply: Reply) -> tuple[int, bool]:
    try:
        json.loads(reply.body)
    except ValueError:
        return reply.status, False
    return reply.status, True


def test_a_normal_answer_carries_rate_limit_headers() -> None:
    reply = get(service("3000/300"))
    assert reply.status == 200 and reply.content_type == "application/json; charset=utf-8"
    assert reply.headers["ratelimit-policy"] == "3000;w=300"
    assert reply.headers["ratelimit-remaining"] == "2999"
    assert len(reply.json()["followers"]) == 50


def test_over_the_limit_is_429_with_bluesky_body() -> None:
    svc = service("2/60")
    replies = [get(svc, now=T0 + k) for k in range(3)]
    assert [r.status for r in replies] == [200, 200, 429]
    assert replies[2].json() == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    assert replies[2].headers["Retry-After"] == "58"
    assert svc.stats.snapshot() == {
        "requests": 3,
        "by_method": {FOLLOWERS: 3},
        "throttled": 1,
        "errors_injected": 0,
    }


def test_errors_still_count_and_unknown_methods_share_a_bucket() -> None:
    svc = service()
    assert get(svc, actor="u7777.tiny.test").status == 400
    assert get(svc, method="app.bsky.feed.getTimeline").status == 404
    assert svc.stats.snapshot()["by_method"] == {FOLLOWERS: 1, "unknown": 1}


def test_injected_faults_are_counted_and_replayed_after_reset() -> None:
    svc = service(faults=FaultPlan(share=0.5, seed=11, kinds=("5xx", "malformed")))

    def run() -> list[tuple[int, bool]]:
        return [outcome(get(svc, limit=str(k % 3 + 1))) for k in range(40)]

    first = run()
    failures = sum(1 for status, parsed in first if status != 200 or not parsed)
    assert 8 < failures < 32
    assert svc.stats.snapshot()["errors_injected"] == failures
    svc.reset()
    assert svc.stats.snapshot()["requests"] == 0
    assert run() == first


def test_slow_fault_is_a_delayed_normal_answer() -> None:
    svc = service(faults=FaultPlan(share=1.0, kinds=("slow",), slow_seconds=15))
    reply = get(svc)
    assert (reply.status, reply.delay) == (200, 15)
    assert len(reply.json()["followers"]) == 50


def test_429_fault_starts_a_short_burst_for_that_client() -> None:
    svc = service("3000/300", FaultPlan(share=1.0, kinds=("429",)))
    first = get(svc)
    assert first.status == 429 and 1 <= int(first.headers["Retry-After"]) <= 3
    reset = int(first.headers["ratelimit-reset"])
    assert T0 + 1 <= reset <= T0 + 3
    assert get(svc, now=T0 + 0.5).status == 429  # inside the burst, whatever is drawn
    other = svc.xrpc(FOLLOWERS, {"actor": ["u100.tiny.test"]}, "10.0.0.2", "http://h", T0)
    assert other.status == 429  # share 1.0: it draws its own burst
    snapshot = svc.stats.snapshot()
    assert snapshot["throttled"] == snapshot["errors_injected"] == 3


def test_health_stats_and_avatars() -> None:
    svc = service()
    assert svc.health().json() == {"status": "ok", "graph": "tiny", "nodes": 60, "edges": 59}
    did = get(svc).json()["subject"]["did"]
    assert svc.avatar(did).content_type == "image/svg+xml"
    assert svc.avatar("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa").status == 404
    assert svc.stats_reply().json()["requests"] == 1  # health and avatars are not counted
