from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from support.fakes import World
from support.functions import function_client
from support.media_session import ServiceSession, graph_over, media_service

from kindred import bootstrap
from kindred.web import api
from kindred_infra import paths
from kindred_infra.graph_server.graph import load_graph

TEST_KEY = "test-key-0123456789"


@pytest.fixture(autouse=True)
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings as a deployment has them: one API key; read afresh for each test."""
    monkeypatch.setenv("KINDRED_API_KEYS", TEST_KEY)
    bootstrap.settings.cache_clear()
    yield
    bootstrap.settings.cache_clear()


@pytest.fixture
def api_client() -> FlaskClient:
    client = function_client("api")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TEST_KEY}"
    return client


@pytest.fixture
def media_world(monkeypatch: pytest.MonkeyPatch) -> World:
    """The fakes behind the API, with the graph server's media answered in-process."""
    service = media_service(load_graph(paths.DEFAULT_GRAPH))
    world = World([], graph=graph_over(ServiceSession(service)))
    monkeypatch.setattr(api.bootstrap, "deps", world.deps)
    return world
