"""Hostile input at the public edge: every answer is a JSON 4xx that says what is wrong."""

from __future__ import annotations

import pytest
from support.fakes import World

from kindred.adapters import webhook
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
