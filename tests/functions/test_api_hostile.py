"""Hostile input at the public edge: every answer is a JSON 4xx that says what is wrong."""

from __future__ import annotations

import json

import pytest
from support.fakes import World

from kindred.adapters import webhook
from kindred.services import submit
from kindred.web import api


@pytest.fixture
def world(monkeypatch):
    """The use case on fakes, with the real resolver (the names below fail before any query)."""
    world = World([(n, n % 3 + 1) for n in range(1, 12)])

    def deps():
        made = world.deps()
        made.resolve = webhook.resolve
        return made

    monkeypatch.setattr(api.bootstrap, "deps", deps)
    return world


@pytest.mark.parametrize("url", ["http://a..b/", "http://[zz]/", f"http://{'é' * 70}.example/"])
def test_a_callback_url_that_cannot_be_parsed_is_a_400_naming_it(api_client, world, url):
    response = api_client.post("/analyses", json={"account": "a2", "callback_url": url})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["field"] == "callback_url"
    assert not world.store.docs


class Endless:
    """A request body stream of `size` bytes of one JSON object, made as it is read."""

    def __init__(self, size: int):
        self.size, self.sent = size, 0

    def read(self, limit: int = -1) -> bytes:
        head = b'{"account": "a2", "pad": "'
        left = self.size - self.sent
        take = left if limit is None or limit < 0 else min(limit, left)
        chunk = (head + b"x" * self.size + b'"}')[self.sent : self.sent + take]
        self.sent += len(chunk)
        return chunk


def test_a_chunked_body_over_the_limit_is_a_413_read_no_further(api_client, world):
    stream = Endless(2_000_000)
    response = api_client.post(
        "/analyses",
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        # No length: the server de-chunks the body and says the stream ends by itself.
        environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True},
    )
    assert response.status_code == 413 and response.get_json()["error"] == "body_too_large"
    assert stream.sent <= api.MAX_BODY_BYTES + 1
    assert not world.store.docs and world.upstream_calls == 0


def test_a_body_with_a_length_over_the_limit_is_a_413(api_client, world):
    response = api_client.post("/analyses", json={"account": "a" * 20_000})
    assert response.status_code == 413 and "16384 bytes" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("[" * 1000 + "]" * 1000, "nests 1000 levels"),
        ('{"account": "a2", "options": ' + '{"a":' * 50 + "1" + "}" * 51, "nests 51 levels"),
        ('["account"]', "JSON object"),
        ("null", "JSON object"),
        ('{"account": "a2", "x": NaN}', "not valid JSON"),
    ],
)
def test_a_body_that_is_no_bounded_json_object_is_a_json_400(api_client, world, body, words):
    response = api_client.post("/analyses", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    assert words in response.get_json()["message"]
    assert not world.store.docs


def test_a_path_flask_cannot_route_is_a_json_404(api_client):
    newline = api_client.get("/analyses/abc%0Adef")
    assert newline.status_code == 404 and newline.get_json()["error"] == "not_found"
    for path in ("//", "//analyses", "/analyses//results"):
        response = api_client.get("/", environ_overrides={"PATH_INFO": path})
        assert response.status_code in (404, 405) and response.is_json, path  # no redirect


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("DELETE", "/analyses", "POST"), ("PUT", "/analyses/x/results", "GET, HEAD")],
)
def test_a_405_says_what_is_allowed(api_client, method, path, allowed):
    response = api_client.open(path, method=method)
    assert response.status_code == 405 and response.is_json
    assert response.headers["Allow"] == allowed


def test_the_documented_patterns_are_the_ones_the_code_checks():
    document = json.loads(api.OPENAPI.read_text())
    submission = document["components"]["schemas"]["Submission"]["properties"]
    assert submission["account"]["pattern"] == submit.ACCOUNT.pattern
    assert submission["callback_url"]["pattern"] == submit.CALLBACK_URL.pattern


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"account": "s"}, 404),  # schema-valid: no such account, not a 400
        ({"account": " a2"}, 400),  # what the pattern refuses, the code refuses
        ({"account": "a2\n"}, 400),
        ({"account": "a2", "callback_url": "http://10.0.0.1/"}, 400),
        ({"account": "a2", "options": {"top_candidates": 10}}, 202),  # results cut to 10
    ],
)
def test_the_code_takes_what_the_schema_takes(api_client, world, body, status):
    response = api_client.post("/analyses", json=body)
    assert response.status_code == status, response.get_json()
