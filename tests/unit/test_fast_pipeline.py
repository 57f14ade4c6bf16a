"""Fast mode's pipeline over in-memory fakes: a sample in rounds, candidates verified by their
own followers, a result that says it is an estimate; every step hands on what the table says."""

from __future__ import annotations

import random

import pytest
from support.fakes import World, run_all
from support.walk import deliver_all

from kindred.core import names, sampling
from kindred.core.messages import Decide, Estimate, ReadCandidate, SampleFollowers
from kindred.core.options import AnalysisOptions
from kindred.services import fast, sweep
from kindred.services.handoff import send
from kindred.services.submit import submit

EXACT = AnalysisOptions(top_candidates=20, results=5)
FAST = AnalysisOptions(top_candidates=20, results=5, mode="fast")


def audience_graph(seed: int = 1, followers: int = 240) -> list[tuple[int, int]]:
    """a0 has `followers` followers; each follows candidates 1000-1039 with chances growing
    with the number; each candidate has a few followers from outside."""
    rng = random.Random(seed)
    edges = {(f, 0) for f in range(1, followers + 1)}
    for c in range(1000, 1040):
        chance = 0.03 + 0.02 * (c - 1000)
        edges |= {(f, c) for f in range(1, followers + 1) if rng.random() < chance}
        edges |= {(5000 + 10 * c + o, c) for o in range(c % 7)}
    return sorted(edges)


def analyse(world: World, options: AnalysisOptions, seed: int = 0, **run) -> dict:
    submitted = submit(world.deps(), "a0", "local", options)
    run_all(world, seed, **run)
    return world.store.docs[f"analyses/{submitted.id}"]


@pytest.fixture
def small_first_round(monkeypatch):
    monkeypatch.setattr(sampling, "FIRST_SAMPLE", 40)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sampled_analysis_finds_the_exact_top_for_fewer_calls(small_first_round, seed):
    edges = audience_graph(seed)
    exact_world, fast_world = World(edges), World(edges)
    exact = analyse(exact_world, EXACT)["result"]
    doc = analyse(fast_world, FAST, seed)
    fast = doc["result"]
    assert (fast["mode"], fast["estimate"], exact["mode"]) == ("fast", True, "exact")
    assert set(fast) == set(exact) and set(fast["similar"][0]) == set(exact["similar"][0])
    found = {s["id"] for s in fast["similar"]} & {s["id"] for s in exact["similar"]}
    assert len(found) >= 4  # of 5
    assert fast_world.upstream_calls < exact_world.upstream_calls
    assert fast["cost"]["upstream_calls"] == fast_world.upstream_calls
    read = fast["fast"]
    assert 20 <= read["followers_sampled"] == fast["followers_analyzed"] < 240
    assert read["candidates_verified"] >= 1 and read["rounds"] >= 2
    assert fast["confidence"] >= sampling.CONFIDENCE or read["stopped"] != "confident"
    verified = [s for s in fast["similar"] if s["verified"]]
    exact_overlap = {s["id"]: s["overlap"] for s in exact["similar"]}
    assert all(s["overlap"] == exact_overlap[s["id"]] for s in verified if s["id"] in exact_overlap)
    assert doc["fast"]["next"] == "finish"


def test_repeated_deliveries_and_any_order_decide_the_same(small_first_round, monkeypatch):
    # The sample is the analysis's (its keys hash its id): the same id for both runs.
    monkeypatch.setattr("kindred.services.submit.secrets.token_urlsafe", lambda n: "an" * 11)
    edges = audience_graph(4)
    once = analyse(World(edges), FAST, seed=1)["result"]
    twice = analyse(World(edges), FAST, seed=2, duplicates=True)["result"]
    assert twice["similar"] == once["similar"] and twice["fast"] == once["fast"]


def test_an_audience_the_first_round_covers_gives_the_exact_answer():
    edges = audience_graph(3, followers=60)  # below FIRST_SAMPLE: the sample is everyone
    exact = analyse(World(edges), EXACT)["result"]
    fast = analyse(World(edges), FAST)["result"]
    assert [(s["id"], s["overlap"]) for s in fast["similar"]] == [
        (s["id"], s["overlap"]) for s in exact["similar"]
    ]
    assert [s["score"] for s in fast["similar"]] == pytest.approx(
        [s["score"] for s in exact["similar"]]
    )
    assert (fast["fast"]["sample_share"], fast["confidence"]) == (1.0, 1.0)


def test_fast_steps_hand_on_only_what_the_table_says(small_first_round):
    world = World(audience_graph(4))
    submit(world.deps(), "a0", "local", FAST)
    assert {SampleFollowers, Estimate, Decide, ReadCandidate} <= deliver_all(world)


def test_the_sweeper_finishes_a_stalled_fast_analysis_with_what_it_has(small_first_round):
    world = World(audience_graph(5))
    submitted = submit(world.deps(), "a0", "local", FAST)
    from kindred.services import pipeline

    for _ in range(120):  # part of the way: the followers and some of the first round
        _, step, body = world.queue.pending.popleft()
        pipeline.deliver(world.deps(), step, body)
    assert world.store.docs[f"analyses/{submitted.id}"]["status"] != "done"
    world.queue.pending.clear()  # the rest is lost
    world.clock.time += world.settings.stale_seconds + 1
    assert sweep.sweep(world.deps()) == [submitted.id]
    run_all(world)
    doc = world.store.docs[f"analyses/{submitted.id}"]
    assert doc["status"] == "done" and doc["result"]["fast"]["stopped"] == "forced"


@pytest.mark.parametrize(("stop_below", "bounded"), [(20, True), (5, False), (0, False)])
def test_a_candidates_reading_stops_once_it_cannot_reach_the_cut(stop_below, bounded):
    # a900 has 30 followers (a10-a39, read in that order, 3 a page: 10 calls read them all);
    # 5 of them are the audience.
    edges = [(f, 900) for f in range(10, 40)]
    world = World(edges)
    deps = world.deps()
    deps.store.create(names.analysis_doc("an"), {"id": "an", "status": "sampling"})
    audience = sorted(fast._hash(f"a{f}") for f in (10, 11, 12, 13, 14, 40))
    deps.blobs.write(names.audience_hashes_blob("an"), b"".join(audience))
    chain = ReadCandidate(analysis="an", provider="local", candidate="a900", index=0, round=2,
                          cap=33, followers=30, stop_below=stop_below)  # fmt: skip
    send(deps, names.candidate_task("an", 0, 0), chain, carry=False)
    run_all(world)
    record = world.store.docs[names.verified_doc("an", 0)]
    if bounded:  # after 6 pages: 5 found, 12 unread, 17 < 20
        assert (record["overlap"], record["bounds"]) == (None, [5, 17])
        assert record["reason"] == "out of reach"
        assert (record["followers_read"], world.upstream_calls) == (18, 6)
    else:  # 5 found can reach 5 (and 0 never stops): read whole, exact
        assert (record["overlap"], record["bounds"]) == (5, None)
        assert (record["followers_read"], world.upstream_calls) == (30, 10)
