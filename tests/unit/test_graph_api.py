"""GraphApi without HTTP: Bluesky's shapes, pagination, validation and errors."""

from __future__ import annotations

from typing import Any

import pytest

from kindred_infra.graph_server.api import GraphApi, Params, XrpcError
from kindred_infra.graph_server.graph import build_graph, parse_edges
from kindred_infra.graph_server.identity import Identity

pytestmark = pytest.mark.unit

BASE = "http://127.0.0.1:9"
HUB = 1000  # followed by 1..120, follows 7 and itself
EDGES = "".join(f"{n} {HUB}\n" for n in range(120, 0, -1)) + f"{HUB} 7\n{HUB} {HUB}\n3 4\n"
BASIC_KEYS = ["did", "handle", "displayName", "avatar", "indexedAt", "createdAt", "labels"]


@pytest.fixture(scope="module")
def api() -> GraphApi:
    return GraphApi(build_graph(parse_edges(EDGES.encode())), Identity("tiny"))


def call(api: GraphApi, method: str, **params: Any) -> dict[str, Any]:
    query: Params = {k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}
    return api.call(method, query, BASE)


def error_of(api: GraphApi, method: str, **params: Any) -> tuple[int, dict[str, str]]:
    with pytest.raises(XrpcError) as caught:
        call(api, method, **params)
    return caught.value.status, caught.value.body()


def collect(api: GraphApi, method: str, key: str, actor: str, limit: int) -> list[str]:
    handles, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"actor": actor, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        page = call(api, f"app.bsky.graph.{method}", **params)
        pages += 1
        assert len(page[key]) <= limit
        handles += [item["handle"] for item in page[key]]
        cursor = page.get("cursor")
        if cursor is None:
            assert pages == max(1, -(-len(handles) // limit))
            return handles


@pytest.mark.parametrize("limit", [1, 7, 50, 100])
def test_pages_hold_every_follower_once_in_ascending_order(api: GraphApi, limit: int) -> None:
    handles = collect(api, "getFollowers", "followers", f"u{HUB}.tiny.test", limit)
    expected = [f"u{n}.tiny.test" for n in [*range(1, 121), HUB]]  # the self-loop counts
    assert handles == expected


def test_follows_are_paged_too(api: GraphApi) -> None:
    assert collect(api, "getFollows", "follows", f"u{HUB}.tiny.test", 1) == [
        "u7.tiny.test",
        f"u{HUB}.tiny.test",
    ]


def test_page_shape_matches_bluesky(api: GraphApi) -> None:
    page = call(api, "app.bsky.graph.getFollowers", actor="u4.tiny.test")
    assert list(page) == ["subject", "followers"]  # a single page: no cursor key
    assert page["subject"]["handle"] == "u4.tiny.test"
    assert list(page["followers"][0]) == BASIC_KEYS
    follower = page["followers"][0]
    assert follower["handle"] == "u3.tiny.test"
    assert follower["avatar"] == f"{BASE}/avatar/{follower['did']}.svg"
    assert follower["labels"] == []


def test_default_limit_is_50(api: GraphApi) -> None:
    page = call(api, "app.bsky.graph.getFollowers", actor=f"u{HUB}.tiny.test")
    assert len(page["followers"]) == 50 and "cursor" in page


def test_actor_may_be_a_did(api: GraphApi) -> None:
    did = call(api, "app.bsky.actor.getProfile", actor="u3.tiny.test")["did"]
    page = call(api, "app.bsky.graph.getFollows", actor=did)
    assert [f["handle"] for f in page["follows"]] == ["u4.tiny.test", f"u{HUB}.tiny.test"]


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "Error: limit can not be less than 1"),
        ("101", "Error: limit can not be greater than 100"),
        ("abc", "Error: limit must be an integer"),
        ("1.5", "Error: limit must be an integer"),
        ("", "Error: limit must be an integer"),
    ],
)
def test_bad_limits_are_invalid_requests(api: GraphApi, limit: str, message: str) -> None:
    status, body = error_of(api, "app.bsky.graph.getFollowers", actor="u4.tiny.test", limit=limit)
    assert (status, body) == (400, {"error": "InvalidRequest", "message": message})


def test_cursors_are_bound_to_actor_and_method(api: GraphApi) -> None:
    hub = f"u{HUB}.tiny.test"
    cursor = call(api, "app.bsky.graph.getFollowers", actor=hub, limit=1)["cursor"]
    assert call(api, "app.bsky.graph.getFollowers", actor=hub, limit=1, cursor=cursor)
    for method, actor in [("getFollows", hub), ("getFollowers", "u1.tiny.test")]:
        status, body = error_of(api, f"app.bsky.graph.{method}", actor=actor, cursor=cursor)
        assert (status, body["error"]) == (400, "InvalidRequest")


@pytest.mark.parametrize("cursor", ["abc", "%%%", "MTAw", "0" * 40])
def test_bad_cursors_are_invalid_requests(api: GraphApi, cursor: str) -> None:
    status, body = error_of(api, "app.bsky.graph.getFollowers", actor="u4.tiny.test", cursor=cursor)
    assert (status, body) == (400, {"error": "InvalidRequest", "message": "Malformed cursor"})


def test_unknown_actors_get_bluesky_errors(api: GraphApi) -> None:
    actor = "u500.tiny.test"  # well formed, not in the graph
    assert error_of(api, "app.bsky.graph.getFollowers", actor=actor) == (
        400,
        {"error": "InvalidRequest", "message": f"Actor not found: {actor}"},
    )
    assert error_of(api, "app.bsky.actor.getProfile", actor=actor) == (
        400,
        {"error": "InvalidRequest", "message": "Profile not found"},
    )
    assert error_of(api, "app.bsky.actor.getProfile", actor="not a handle")[1] == {
        "error": "InvalidRequest",
        "message": "Error: actor must be a valid did or a handle",
    }
    status, body = error_of(api, "app.bsky.graph.getFollows")
    assert (status, body["message"]) == (400, 'Error: Params must have the property "actor"')


def test_unknown_method_is_not_implemented(api: GraphApi) -> None:
    assert error_of(api, "app.bsky.feed.getTimeline") == (
        404,
        {"error": "MethodNotImplemented", "message": "Method Not Implemented"},
    )


def test_get_profile_counts_degrees(api: GraphApi) -> None:
    profile = call(api, "app.bsky.actor.getProfile", actor=f"u{HUB}.tiny.test")
    assert (profile["followersCount"], profile["followsCount"], profile["postsCount"]) == (
        121,
        2,
        0,
    )
    assert set(BASIC_KEYS) | {"description"} <= set(profile)


def test_get_profiles_skips_unknown_actors(api: GraphApi) -> None:
    actors = ["u3.tiny.test", "u500.tiny.test", "u4.tiny.test", "u3.tiny.test"]
    profiles = call(api, "app.bsky.actor.getProfiles", actors=actors)["profiles"]
    assert [p["handle"] for p in profiles] == ["u3.tiny.test", "u4.tiny.test"]


def test_get_profiles_takes_1_to_25_actors(api: GraphApi) -> None:
    actors = [f"u{n}.tiny.test" for n in range(1, 27)]
    assert len(call(api, "app.bsky.actor.getProfiles", actors=actors[:25])["profiles"]) == 25
    status, body = error_of(api, "app.bsky.actor.getProfiles", actors=actors)
    assert (status, body["message"]) == (400, "Error: actors must not have more than 25 elements")
    status, body = error_of(api, "app.bsky.actor.getProfiles")
    assert (status, body["message"]) == (400, 'Error: Params must have the property "actors"')


def test_avatars_exist_for_accounts_only(api: GraphApi) -> None:
    profile = call(api, "app.bsky.actor.getProfile", actor="u3.tiny.test")
    svg = api.avatar(profile["did"])
    assert svg is not None and svg.startswith(b"<svg") and svg == api.avatar(profile["did"])
    initials = "".join(word[0] for word in profile["displayName"].split())
    assert f">{initials}</text>".encode() in svg
    assert api.avatar("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa") is None
    assert api.avatar("u3.tiny.test") is None
