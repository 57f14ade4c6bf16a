"""The graph server on the real ego-Twitter graph, over real HTTP on a free loopback port."""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from kindred_infra.process import LOOPBACK, Service, free_port, http_ok, running

pytestmark = pytest.mark.integration

HUB = "u115485051.ego-twitter.test"  # 3,383 followers, follows 1


class Client:
    """One keep-alive connection; answers are (status, headers, body) whatever the status."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)

    def get(self, path: str, **params: Any) -> tuple[int, http.client.HTTPMessage, bytes]:
        query = urlencode(params, doseq=True)
        self.conn.request("GET", f"{path}?{query}" if query else path)
        response = self.conn.getresponse()
        return response.status, response.headers, response.read()

    def xrpc(self, method: str, **params: Any) -> tuple[int, Any]:
        status, _, body = self.get(f"/xrpc/{method}", **params)
        return status, json.loads(body)

    def post(self, path: str) -> Any:
        self.conn.request("POST", path, body=b"")
        return json.loads(self.conn.getresponse().read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The default graph, found by the server itself (no --graph, no env override)."""
    port = free_port()
    log = tmp_path_factory.mktemp("graph-server") / "graph-server.log"
    service = Service(
        name="graph-server",
        argv=[sys.executable, "-m", "kindred_infra.graph_server", "--port", str(port)],
        log=log,
        healthy=lambda: http_ok(f"http://{LOOPBACK}:{port}/_health"),
        env={"KINDRED_GRAPH_PATH": ""},
    )
    with running(service):
        yield port, log


@pytest.fixture
def client(server: tuple[int, Path]) -> Iterator[Client]:
    client = Client(server[0])
    yield client
    client.conn.close()


def test_health_reports_the_graph(client: Client, server: tuple[int, Path]) -> None:
    status, headers, body = client.get("/_health")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    health = json.loads(body)
    assert (health["graph"], health["nodes"], health["edges"]) == ("ego-twitter", 81306, 1768149)
    assert "81,306 nodes, 1,768,149 edges" in server[1].read_text()


def test_paging_collects_all_3383_followers_once(client: Client) -> None:
    dids: list[str] = []
    cursor, pages = None, 0
    while True:
        params = {"actor": HUB, "limit": 100, **({"cursor": cursor} if cursor else {})}
        status, page = client.xrpc("app.bsky.graph.getFollowers", **params)
        assert status == 200
        pages += 1
        assert page["subject"]["handle"] == HUB
        dids += [follower["did"] for follower in page["followers"]]
        cursor = page.get("cursor")
        if cursor is None:
            break
    assert (len(dids), len(set(dids)), pages) == (3383, 3383, 34)


def test_get_profile_counts(client: Client) -> None:
    status, profile = client.xrpc("app.bsky.actor.getProfile", actor=HUB)
    assert status == 200
    assert (profile["followersCount"], profile["followsCount"]) == (3383, 1)
    status, again = client.xrpc("app.bsky.actor.getProfile", actor=profile["did"])
    assert again == profile


def test_get_profiles_with_25_actors(client: Client) -> None:
    _, page = client.xrpc("app.bsky.graph.getFollowers", actor=HUB, limit=25)
    actors = [follower["did"] for follower in page["followers"]]
    status, answer = client.xrpc("app.bsky.actor.getProfiles", actors=actors)
    assert status == 200
    assert [profile["did"] for profile in answer["profiles"]] == actors
    assert all(profile["followersCount"] >= 0 for profile in answer["profiles"])
    status, error = client.xrpc("app.bsky.actor.getProfiles", actors=[*actors, HUB])
    assert (status, error["error"]) == (400, "InvalidRequest")


def test_unknown_actor_and_method(client: Client) -> None:
    assert client.xrpc("app.bsky.actor.getProfile", actor="u1.ego-twitter.test") == (
        400,
        {"error": "InvalidRequest", "message": "Profile not found"},
    )
    assert client.xrpc("app.bsky.graph.getFollows", actor="alice.bsky.social") == (
        400,
        {"error": "InvalidRequest", "message": "Actor not found: alice.bsky.social"},
    )
    assert client.xrpc("app.bsky.feed.getTimeline") == (
        404,
        {"error": "MethodNotImplemented", "message": "Method Not Implemented"},
    )


def test_answers_carry_rate_limit_headers_and_avatars_are_served(client: Client) -> None:
    status, headers, body = client.get("/xrpc/app.bsky.actor.getProfile", actor=HUB)
    assert headers["ratelimit-policy"] == "3000;w=300"
    assert int(headers["ratelimit-remaining"]) < 3000
    avatar = json.loads(body)["avatar"]
    assert avatar.startswith(f"http://{LOOPBACK}:{client.conn.port}/avatar/did:plc:")
    status, headers, svg = client.get(avatar.split(str(client.conn.port), 1)[1])
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    assert svg.startswith(b"<svg") and "ratelimit-limit" not in headers


def test_stats_count_what_was_asked(client: Client) -> None:
    client.post("/_stats/reset")
    client.xrpc("app.bsky.graph.getFollowers", actor=HUB, limit=1)
    client.xrpc("app.bsky.graph.getFollows", actor=HUB)
    client.xrpc("app.bsky.graph.getFollows", actor=HUB)
    client.get("/_health")
    status, _, body = client.get("/_stats")
    assert status == 200
    assert json.loads(body) == {
        "requests": 3,
        "by_method": {"app.bsky.graph.getFollowers": 1, "app.bsky.graph.getFollows": 2},
        "throttled": 0,
        "errors_injected": 0,
    }
    assert client.post("/_stats/reset")["requests"] == 0
