"""POST /collections {"from_analysis", "top"}: the analysis's most similar accounts, in order;
an unknown or unfinished analysis is a 4xx that names the field."""

from __future__ import annotations

import json

import pytest
from support.fakes import World

from kindred.core import collection_names
from kindred.core.options import AnalysisOptions
from kindred.services import pipeline
from kindred.services.submit import submit
from kindred.web import api

EDGES = [(n, 0) for n in range(1, 9)] + [(n, n % 3 + 1) for n in range(1, 9)]


@pytest.fixture
def world(monkeypatch):
    world = World(EDGES)
    monkeypatch.setattr(api.bootstrap, "deps", world.deps)
    return world


def finished_analysis(world: World, provider: str = "local") -> tuple[str, list[str]]:
    analysis = submit(world.deps(), "a0", provider, AnalysisOptions()).id
    while world.queue.pending:
        _, step, body = world.queue.pending.popleft()
        pipeline.deliver(world.deps(), step, body)
    result = world.store.docs[f"analyses/{analysis}"]["result"]
    return analysis, [similar["handle"] for similar in result["similar"]]


def test_the_top_similar_accounts_of_a_finished_analysis_are_collected_in_order(api_client, world):
    analysis, similar = finished_analysis(world)
    body = {"from_analysis": analysis, "top": 2, "options": {"max_per_account": 5}}
    answer = api_client.post("/collections", json=body)
    assert answer.status_code == 202, answer.get_json()
    collection = answer.get_json()["id"]
    listed = world.blobs.objects[f"{collection_names.accounts_blob(collection)}.0000"]
    assert json.loads(listed) == similar[:2]


def test_a_bluesky_analysis_is_collected_from_bluesky(api_client, world):
    analysis, similar = finished_analysis(world, "bluesky")
    answer = api_client.post("/collections", json={"from_analysis": analysis, "top": 3})
    assert answer.status_code == 202, answer.get_json()
    collection = answer.get_json()["id"]
    assert world.store.docs[collection_names.collection_doc(collection)]["provider"] == "bluesky"
    listed = world.blobs.objects[f"{collection_names.accounts_blob(collection)}.0000"]
    assert json.loads(listed) == similar[:3]


def test_an_unknown_or_unfinished_analysis_or_a_bad_top_is_refused_naming_the_field(
    api_client, world
):
    unknown = api_client.post("/collections", json={"from_analysis": "nosuchanalysis1"})
    assert unknown.status_code == 404 and unknown.get_json()["field"] == "from_analysis"
    running = submit(world.deps(), "a0", "local", AnalysisOptions(results=7)).id
    unfinished = api_client.post("/collections", json={"from_analysis": running})
    assert unfinished.status_code == 400 and unfinished.get_json()["field"] == "from_analysis"
    assert "once it is done" in unfinished.get_json()["message"]
    analysis, _ = finished_analysis(world)
    for top in (0, 1001, "3"):
        bad = api_client.post("/collections", json={"from_analysis": analysis, "top": top})
        assert bad.status_code == 400 and bad.get_json()["field"] == "top", top
    both = api_client.post("/collections", json={"from_analysis": analysis, "accounts": ["x.y"]})
    assert both.status_code == 400 and "not both" in both.get_json()["message"]
