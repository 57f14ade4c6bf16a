"""The graph server's Mastodon dialect without sockets: shapes, Link pages, limits, errors,
account states and faults, as Mastodon's API reference describes them."""

from __future__ import annotations

from datetime import datetime

import pytest

from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.faults import FaultPlan
from kindred_infra.graph_server.graph import build_graph, parse_edges
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.mastodon import ACTIVE, HIDDEN, MOVED, SUSPENDED, route
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RatePolicy
from kindred_infra.graph_server.service import GraphService, Reply

pytestmark = pytest.mark.unit

T0 = 1_700_000_000.0
NAMES = Identity("tiny")
EDGES = b"".join(b"%d 100\n" % n for n in range(1, 201)) + b"100 7\n"


def service(
    rate: str = "0", faults: FaultPlan | None = None, states: bool = False, edges: bytes = EDGES
) -> GraphService:
    api = GraphApi(build_graph(parse_edges(edges)), NAMES, states=states)
    limiter = FixedWindowLimiter(RatePolicy(0))
    mastodon = FixedWindowLimiter(RatePolicy.parse(rate))
    return GraphService(api, limiter, faults or FaultPlan(), mastodon_limiter=mastodon)


def get(svc: GraphService, path: str, now: float = T0, **params) -> Reply:
    query = {k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}
    return svc.mastodon(path, query, "127.0.0.1", "http://h", now)


def followers(svc: GraphService, account: int = 100, **params) -> Reply:
    return get(svc, f"/api/v1/accounts/{NAMES.mastodon_id(account)}/followers", **params)


def test_lookup_and_get_give_the_account_entity():
    svc = service()
    found = get(svc, "/api/v1/accounts/lookup", acct="u100@tiny.test")
    assert found.status == 200
    entity = found.json()
    assert (entity["id"], entity["username"], entity["acct"]) == (
        NAMES.mastodon_id(100), "u100", "u100"
    )  # fmt: skip
    assert (entity["followers_count"], entity["following_count"]) == (200, 2)  # u100 too
    assert entity["url"] == "http://h/@u100" and entity["hide_collections"] is False
    assert get(svc, f"/api/v1/accounts/{entity['id']}").json() == entity
    for path, params in (("/api/v1/accounts/lookup", {"acct": "u100@other.test"}),
                         ("/api/v1/accounts/lookup", {"acct": "u999"}),
                         ("/api/v1/accounts/12345", {})):  # fmt: skip
        missing = get(svc, path, **params)
        assert (missing.status, missing.json()) == (404, {"error": "Record not found"})


def test_pages_of_40_by_default_at_most_80_linked_by_max_id_and_min_id():
    svc = service()
    first = followers(svc)
    assert [a["acct"] for a in first.json()] == [f"u{n}" for n in range(1, 41)]
    assert len(followers(svc, limit=500).json()) == 80  # cut to 80, not refused
    links = dict(_links(first.headers["Link"]))
    assert set(links) == {"next", "prev"} and "limit=40" in links["next"]
    max_id = links["next"].split("max_id=")[1]
    second = followers(svc, limit=40, max_id=max_id)
    assert [a["acct"] for a in second.json()] == [f"u{n}" for n in range(41, 81)]
    min_id = dict(_links(second.headers["Link"]))["prev"].split("min_id=")[1]
    assert followers(svc, limit=40, min_id=min_id).json() == first.json()
    assert followers(svc, limit=40, max_id="nonsense").json() == []  # Rails reads it as 0


def test_a_full_last_page_still_names_a_next_one_which_is_empty():
    svc = service()
    last = followers(svc, limit=100)  # 80 of them, then the other 120 in pages of 80
    page = followers(svc, limit=80, max_id=_next(last))
    assert len(page.json()) == 80
    end = followers(svc, limit=80, max_id=_next(page))
    assert (len(end.json()), "Link" in end.headers) == (40, True)
    assert 'rel="next"' not in end.headers["Link"]  # not full: the end


def test_the_window_has_mastodons_headers_and_its_429_body():
    svc = service("2/300")
    ok = followers(svc)
    assert ok.headers["X-RateLimit-Limit"] == "2" and ok.headers["X-RateLimit-Remaining"] == "1"
    reset = datetime.fromisoformat(ok.headers["X-RateLimit-Reset"])
    assert reset.timestamp() == T0 + 300 and ok.headers["X-RateLimit-Reset"].endswith("Z")
    followers(svc, now=T0 + 1)
    refused = followers(svc, now=T0 + 2)
    assert (refused.status, refused.json()) == (429, {"error": "Too many requests"})
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert svc.stats.snapshot()["by_method"] == {"mastodon.followers": 3}


def test_more_than_40_ids_is_a_422_and_unknown_ids_are_left_out():
    svc = service()
    ids = [NAMES.mastodon_id(n) for n in (1, 2)] + ["777"]
    assert [a["acct"] for a in get(svc, "/api/v1/accounts", **{"id[]": ids}).json()] == [
        "u1", "u2"
    ]  # fmt: skip
    many = get(svc, "/api/v1/accounts", **{"id[]": [NAMES.mastodon_id(n) for n in range(1, 42)]})
    assert many.status == 422 and "error" in many.json()


def test_with_states_suspended_moved_and_hidden_accounts_look_as_on_mastodon():
    edges = b"".join(b"%d 100\n%d 7\n" % (n, n) for n in range(1000, 3000))
    svc = service(states=True, edges=edges)
    api = svc.api.mastodon
    states = {n: api.state(n) for n in range(1000, 3000)}
    special = {n: state for n, state in states.items() if state != ACTIVE}
    assert set(special.values()) == {SUSPENDED, MOVED, HIDDEN}
    listed, page = [], followers(svc, limit=80)
    while page.json():
        listed += [int(a["acct"][1:]) for a in page.json()]
        page = followers(svc, limit=80, max_id=_next(page)) if len(page.json()) == 80 else None
        if page is None:
            break
    assert listed == [n for n in range(1000, 3000) if states[n] != SUSPENDED]  # left out
    for number, state in special.items():
        entity = get(svc, f"/api/v1/accounts/{NAMES.mastodon_id(number)}").json()
        assert entity.get("suspended", False) == (state == SUSPENDED)
        assert (entity.get("moved") or {}).get("acct") == (
            f"u{api.moved_to(number)}" if state == MOVED else None
        )
        assert entity["hide_collections"] == (state == HIDDEN)
        lists = get(svc, f"/api/v1/accounts/{NAMES.mastodon_id(number)}/following")
        if state == SUSPENDED:
            assert (lists.status, lists.json()) == (410, {"error": "This account is suspended"})
        elif state == HIDDEN:
            assert (lists.status, lists.json()) == (200, [])
        else:
            assert [a["acct"] for a in lists.json()] == ["u7", "u100"]


def test_faults_fall_on_the_mastodon_routes_too():
    svc = service(faults=FaultPlan(share=1.0, kinds=("5xx",)))
    assert followers(svc).status >= 500
    assert svc.stats.snapshot()["errors_injected"] == 1


def test_routes_are_the_documented_paths_only():
    assert route("/api/v1/accounts/lookup").name == "lookup"
    assert route("/api/v1/accounts/12/following").name == "following"
    assert route("/api/v1/accounts/12/featured_tags") is None
    assert route("/api/v2/accounts/12") is None


def _links(header: str) -> list[tuple[str, str]]:
    parts = [part.strip() for part in header.split(",")]
    return [(p.split('rel="')[1].rstrip('"'), p.split(">")[0].lstrip("<")) for p in parts]


def _next(reply: Reply) -> str:
    return dict(_links(reply.headers["Link"]))["next"].split("max_id=")[1]
