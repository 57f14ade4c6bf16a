"""The selectivity-weighted score (core.weights) against a computation by hand, through the
whole pipeline over fakes: follows lists of several pages, spilled pending tallies, any order."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from support.fakes import World, run_all

from kindred.core import weights
from kindred.core.options import AnalysisOptions
from kindred.services import weighting
from kindred.services.submit import submit

# a0 is the target. a1 follows 3 accounts, a2 5 and a3 7 (the fake upstream pages by 3, so
# a2's and a3's follows take 2 and 3 pages); a20 and a21 follow a10 from outside.
EDGES = sorted(
    {(1, 0), (1, 10), (1, 11)}
    | {(2, 0), (2, 10), (2, 12), (2, 13), (2, 14)}
    | {(3, 0), (3, 10), (3, 12), (3, 13), (3, 14), (3, 15), (3, 16)}
    | {(20, 10), (21, 10)}
)
WEIGHTED = AnalysisOptions(score="weighted")


def by_hand() -> dict[str, float]:
    """w = 1/3, 1/5, 1/7; N = 1/9 + 1/25 + 1/49; score = W / sqrt(N * followers)."""
    norm = 1 / 9 + 1 / 25 + 1 / 49
    sums = {
        "a10": (1 / 3 + 1 / 5 + 1 / 7, 5),
        "a11": (1 / 3, 1),
        "a12": (1 / 5 + 1 / 7, 2),
        "a13": (1 / 5 + 1 / 7, 2),
        "a14": (1 / 5 + 1 / 7, 2),
        "a15": (1 / 7, 1),
        "a16": (1 / 7, 1),
    }
    return {a: w / math.sqrt(norm * followers) for a, (w, followers) in sums.items()}


def analyse(world: World, options: AnalysisOptions, seed: int = 0, **run) -> dict:
    submitted = submit(world.deps(), "a0", "local", options)
    run_all(world, seed, **run)
    return world.store.docs[f"analyses/{submitted.id}"]["result"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_weighted_score_is_the_hand_computed_one(seed):
    result = analyse(World(EDGES), WEIGHTED, seed)
    got = {s["id"]: s["score"] for s in result["similar"]}
    assert got == pytest.approx(by_hand(), abs=1e-9)
    ranked = sorted(by_hand().items(), key=lambda kv: (-kv[1], kv[0]))
    assert [s["id"] for s in result["similar"]] == [a for a, _ in ranked]
    first = result["similar"][0]
    assert (first["id"], first["weighted_overlap"]) == ("a11", pytest.approx(1 / 3))


def test_a_pending_tally_that_outgrows_its_budget_waits_in_storage(monkeypatch):
    monkeypatch.setattr(weighting, "PENDING_BYTES", 10)
    world = World(EDGES)
    result = analyse(world, WEIGHTED, duplicates=True)
    assert any("/pending/" in name for name in world.blobs.objects)
    assert {s["id"]: s["score"] for s in result["similar"]} == pytest.approx(by_hand(), abs=1e-9)


def test_weighting_spends_no_upstream_call_more_and_keeps_the_counts():
    plain_world, weighted_world = World(EDGES), World(EDGES)
    plain = analyse(plain_world, AnalysisOptions())
    weighted = analyse(weighted_world, WEIGHTED)
    assert weighted_world.upstream_calls == plain_world.upstream_calls
    assert weighted["popular"] == plain["popular"]  # the weighted sums are no candidates
    assert plain["similar"][0]["weighted_overlap"] is None
    # a11 has one follower, the most selective; a12 two who follow many: the plain cosine
    # puts a12 first (2 / sqrt(3 * 2) > 1 / sqrt(3 * 1)), the weighted one a11.
    assert plain["similar"][0]["id"] == "a12"


def test_credit_adds_the_votes_and_the_squared_weight_in_units():
    counts: Counter[str] = Counter()
    weights.credit(counts, Counter({"a": 1, "b": 2}), follows=4)
    assert counts == {"~a": weights.UNIT // 4, "~b": weights.UNIT // 2, "~": weights.UNIT // 16}
    assert weights.pick(sorted(counts.items()), ["a"]) == ({"a": weights.UNIT // 4}, 10**12 // 16)
