"""The whole pipeline over in-memory fakes: exact results whatever the delivery order,
repeated deliveries, spills of the carried tally, or follows reused from earlier analyses."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace

import pytest
from support.fakes import World
from support.fakes import run_all as run

from kindred.core import reuse
from kindred.core.options import AnalysisOptions
from kindred.services import crawl, pipeline
from kindred.services.submit import submit


def random_graph(seed: int, nodes: int = 40, edges: int = 400) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    pairs = {(rng.randrange(nodes), rng.randrange(nodes // 2)) for _ in range(edges)}
    return sorted(pairs | {(n, 0) for n in range(1, nodes, 2)})  # account 0: many followers


def direct(edges, target: str, options: AnalysisOptions) -> tuple[list, list]:
    follows, followers = {}, {}
    for a, b in edges:
        follows.setdefault(f"a{a}", []).append(f"a{b}")
        followers.setdefault(f"a{b}", []).append(f"a{a}")
    audience = sorted(followers.get(target, []))[: options.max_followers]
    overlap = Counter()
    for follower in audience:
        overlap.update(sorted(follows.get(follower, []))[: options.max_follows_per_follower])
    overlap.pop(target, None)
    popular = sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0]))[: options.top_candidates]

    def score(account, shared):
        return shared / math.sqrt(len(audience) * len(followers[account]))

    similar = sorted(popular, key=lambda kv: (-score(*kv), -kv[1], kv[0]))[: options.results]
    return [list(p) for p in popular], [(a, shared, score(a, shared)) for a, shared in similar]


def analyse(world: World, options: AnalysisOptions, target: str = "a0", **run_options) -> dict:
    submitted = submit(world.deps(), target, "local", options)
    run(world, **run_options)
    return world.store.docs[f"analyses/{submitted.id}"]["result"]


OPTIONS = [
    AnalysisOptions(),
    AnalysisOptions(max_followers=7, max_follows_per_follower=4, top_candidates=5, results=3),
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_delivery_order_gives_the_direct_answer(options, seed):
    edges = random_graph(seed)
    world = World(edges)
    result = analyse(world, options, seed=seed)
    popular, similar = direct(edges, "a0", options)
    assert [[p["id"], p["overlap"]] for p in result["popular"]] == popular
    assert [(s["id"], s["overlap"]) for s in result["similar"]] == [s[:2] for s in similar]
    assert [s["score"] for s in result["similar"]] == pytest.approx([s[2] for s in similar])
    assert result["cost"]["upstream_calls"] == world.upstream_calls
    assert result["coverage"] == 1.0


def test_repeated_deliveries_change_nothing_and_are_not_counted():
    edges = random_graph(4)
    once = analyse(World(edges), AnalysisOptions(), seed=4)
    world = World(edges)
    twice = analyse(world, AnalysisOptions(), seed=4, duplicates=True)
    assert twice["popular"] == once["popular"] and twice["similar"] == once["similar"]
    assert twice["cost"]["firestore_writes"] >= once["cost"]["firestore_writes"]
    assert twice["cost"]["tasks"] == once["cost"]["tasks"]


def test_a_tally_that_outgrows_the_payload_budget_spills_and_gives_the_same_answer(monkeypatch):
    edges = random_graph(5)
    kept = analyse(World(edges), AnalysisOptions(), seed=5)
    monkeypatch.setattr(crawl, "SPILL_BYTES", 20)
    world = World(edges)
    spilled = analyse(world, AnalysisOptions(), seed=5)
    parts = [name for name in world.blobs.objects if "/parts/" in name]
    assert len(parts) > len([g for g in world.store.docs if "/groups/" in g])  # several per group
    assert spilled["popular"] == kept["popular"] and spilled["similar"] == kept["similar"]


def test_an_account_nobody_follows_finishes_with_nothing_to_rank():
    world = World([(1, 2), (2, 3)])
    submitted = submit(world.deps(), "a1", "local", AnalysisOptions())
    run(world)
    result = world.store.docs[f"analyses/{submitted.id}"]["result"]
    assert (result["followers_analyzed"], result["similar"], result["popular"]) == (0, [], [])
    assert result["coverage"] == 1.0


def test_many_runs_are_merged_in_rounds_of_bounded_fan_in(monkeypatch):
    from kindred.services import aggregate

    edges = random_graph(6)
    direct_result = analyse(World(edges), AnalysisOptions(), seed=6)
    monkeypatch.setattr(aggregate, "FAN_IN", 2)
    world = World(edges)
    rounds = analyse(world, AnalysisOptions(), seed=6)
    assert any("/merged/l1-" in name for name in world.blobs.objects)  # at least two rounds
    assert rounds["popular"] == direct_result["popular"]


def test_the_sweeper_moves_a_stalled_analysis_on_with_the_coverage_it_reached():
    from kindred.services.sweep import sweep

    edges = random_graph(7)
    world = World(edges)
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    # Deliver the followers pages and one chain; lose every other chain (dropped tasks).
    _, step, payload = world.queue.pending.popleft()
    pipeline.deliver(world.deps(), step, payload)
    while world.queue.pending:
        _, step, payload = world.queue.pending.popleft()
        if step == "followers" or (step in ("lookup", "follows") and payload["group"] == 0):
            pipeline.deliver(world.deps(), step, payload)
    assert sweep(world.deps()) == []  # not stale yet
    world.clock.time += world.settings.stale_seconds + 1
    assert sweep(world.deps()) == [submitted.id]
    run(world)
    result = world.store.docs[f"analyses/{submitted.id}"]["result"]
    followers = len({a for a, b in edges if b == 0})
    assert result["followers_in_scope"] == followers
    assert result["followers_analyzed"] == min(3, followers)  # the one chain: FakeGraph pages of 3
    assert result["coverage"] == pytest.approx(result["followers_analyzed"] / followers, abs=1e-6)


def answer(result: dict) -> tuple:
    return result["followers_analyzed"], result["coverage"], result["popular"], result["similar"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (AnalysisOptions(), AnalysisOptions()),
        (AnalysisOptions(max_follows_per_follower=2), AnalysisOptions(max_follows_per_follower=5)),
        (AnalysisOptions(max_follows_per_follower=5), AnalysisOptions(max_follows_per_follower=2)),
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_an_analysis_reusing_stored_follows_gives_the_answer_of_one_that_does_not(
    first, second, seed
):
    edges = random_graph(seed)
    world = World(edges)
    analyse(world, first, target="a1", seed=seed)  # a1's followers: some of a0's too
    calls = world.upstream_calls
    reusing = analyse(world, second, seed=seed)
    fresh_world = World(edges)
    fresh = analyse(fresh_world, replace(second, max_age=0), seed=seed)
    assert answer(reusing) == answer(fresh)
    popular, _ = direct(edges, "a0", second)
    assert [[p["id"], p["overlap"]] for p in reusing["popular"]] == popular
    assert reusing["cost"]["upstream_calls"] == world.upstream_calls - calls
    shared = {a for a, b in edges if b == 0} & {a for a, b in edges if b == 1}
    if first.max_follows_per_follower >= second.max_follows_per_follower:
        assert reusing["followers_reused"] == len(shared)  # every list read serves the second
        assert reusing["cost"]["upstream_calls"] < fresh["cost"]["upstream_calls"]
    assert fresh["followers_reused"] == 0  # max_age 0: nothing looked up, nothing stored
    assert not [name for name in fresh_world.blobs.objects if name.startswith("follows/")]


def test_a_list_cut_at_a_smaller_cap_is_read_again_and_stored_whole():
    world = World([(1, 0), *((1, n) for n in range(2, 9))])  # a1 follows a0 and 7 others
    analyse(world, AnalysisOptions(max_follows_per_follower=4), target="a0")
    cut = reuse.decode_entry(world.blobs.objects["follows/local/a1.z"])
    assert (cut.stop, cut.cap, len(cut.follows)) == ("cap", 4, 4)
    result = analyse(world, AnalysisOptions(max_follows_per_follower=10), target="a0")
    assert result["followers_reused"] == 0 and result["popular"][0]["overlap"] == 1
    whole = reuse.decode_entry(world.blobs.objects["follows/local/a1.z"])
    assert (whole.stop, len(whole.follows)) == ("end", 8)  # three pages, written once
    assert whole.follows == tuple(sorted(f"a{n}" for n in (0, *range(2, 9))))


def test_entries_older_than_max_age_are_not_used():
    edges = random_graph(3)
    world = World(edges)
    analyse(world, AnalysisOptions(max_age=3600))
    world.clock.time += 3600
    again = analyse(world, AnalysisOptions(max_age=3600, results=7))
    assert again["followers_reused"] == 0
    assert again["cost"]["storage_reads"] >= again["followers_analyzed"]  # looked up, stale
    world.clock.time += 10  # the lists just read again are fresh
    third = analyse(world, AnalysisOptions(max_age=3600, results=8))
    assert third["followers_reused"] == third["followers_analyzed"] > 0
    assert answer(third)[:3] == answer(again)[:3]


def test_lists_too_long_to_carry_are_counted_but_not_stored(monkeypatch):
    edges = random_graph(4)
    kept = analyse(World(edges), AnalysisOptions(max_age=0), seed=4)
    monkeypatch.setattr(reuse, "CARRY_BYTES", 0)  # every list is too long
    world = World(edges)
    first = analyse(world, AnalysisOptions(), seed=4)
    assert not [name for name in world.blobs.objects if name.startswith("follows/")]
    second = analyse(world, AnalysisOptions(results=7), seed=4)
    assert second["followers_reused"] == 0
    assert answer(first) == answer(kept) and answer(second)[:3] == answer(kept)[:3]


def test_repeated_deliveries_with_reuse_change_nothing():
    edges = random_graph(5)
    world = World(edges)
    analyse(world, AnalysisOptions(), target="a1", seed=5)
    twice = analyse(world, AnalysisOptions(), seed=5, duplicates=True)
    once = analyse(World(edges), AnalysisOptions(max_age=0), seed=5)
    assert answer(twice) == answer(once) and twice["followers_reused"] > 0
