"""POST /collections and GET /collections/{id} through the Flask test client, on the fakes."""

from __future__ import annotations

import pytest
from support.fakes import World
from support.media_session import ServiceSession, graph_over, media_service

from kindred.services import pipeline
from kindred.web import api
from kindred_infra import paths
from kindred_infra.graph_server.graph import load_graph


@pytest.fixture(scope="module")
def service():
    return media_service(load_graph(paths.DEFAULT_GRAPH))


@pytest.fixture
def world(monkeypatch, service):
    world = World([], graph=graph_over(ServiceSession(service)))
    monkeypatch.setattr(api.bootstrap, "deps", world.deps)
    return world


def test_a_collection_is_submitted_run_and_reported(api_client, world):
    body = {"accounts": ["u626373.ego-twitter.test"], "options": {"max_per_account": 5}}
    answer = api_client.post("/collections", json=body)
    assert answer.status_code == 202, answer.get_json()
    while world.queue.pending:
        _, step, payload = world.queue.pending.popleft()
        pipeline.deliver(world.deps(), step, payload)
    status = api_client.get(f"/collections/{answer.get_json()['id']}").get_json()
    assert status["status"] == "done"
    assert status["progress"]["images_stored"] == 5 and status["progress"]["accounts_done"] == 1
    assert status["accounts"][0]["prefix"].startswith("gs://kindred-local/media/local/did:plc:")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"accounts": []}, "accounts"), ({"accounts": ["a b"]}, "accounts"),
     ({"accounts": ["a.test"] * 100_001}, "accounts")],
)  # fmt: skip
def test_bad_input_is_a_4xx_naming_the_field(api_client, world, body, field):
    answer = api_client.post("/collections", json=body)
    assert answer.status_code == 400 and answer.get_json()["field"] == field
    assert not world.store.docs


def test_an_unknown_collection_is_a_404(api_client, world):
    assert api_client.get("/collections/abcdefgh1234").status_code == 404
