"""Interim rankings over in-memory fakes: each one is the direct count over the followers of
the groups finished when it ran, the status shows the last, the final status shows the result,
and the interims' writes are in the result's cost and bounded by the schedule."""

from __future__ import annotations

import random
from collections import Counter

from support.fakes import FakeGraph, World

from kindred.core import interim, names
from kindred.core.messages import RankInterim
from kindred.core.options import AnalysisOptions
from kindred.services import pipeline, reports
from kindred.services.submit import submit

PAGE = FakeGraph.max_page  # followers per group
OPTIONS = AnalysisOptions(top_candidates=12, results=6)


def graph(seed: int = 5, nodes: int = 60, edges: int = 700) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    pairs = {(rng.randrange(nodes), rng.randrange(nodes // 2)) for _ in range(edges)}
    return sorted(pairs | {(n, 0) for n in range(1, nodes, 2)})  # account 0: 30+ followers


def direct(edges, groups: list[int], results: int) -> list[dict]:
    """The top `results` by overlap among the followers of these groups (pages of a0's)."""
    followers = sorted({f"a{a}" for a, b in edges if b == 0})
    audience = [f for g in groups for f in followers[g * PAGE : (g + 1) * PAGE]]
    follows: dict[str, list[str]] = {}
    for a, b in edges:
        follows.setdefault(f"a{a}", []).append(f"a{b}")
    overlap = Counter(b for f in audience for b in follows.get(f, []) if b != "a0")
    ranked = sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0]))[:results]
    return [{"id": account, "overlap": shared} for account, shared in ranked]


def test_each_interim_counts_the_finished_groups_and_the_last_status_is_the_result():
    edges = graph()
    world = World(edges)
    submitted = submit(world.deps(), "a0", "local", OPTIONS)
    analysis = submitted.id
    seen = []  # (what the interim was checked against, the status's interim after it)
    rng = random.Random(3)
    while world.queue.pending:
        index = rng.randrange(len(world.queue.pending))  # groups end in any order
        world.queue.pending.rotate(-index)
        _, step, payload = world.queue.pending.popleft()
        finished = sorted(
            int(path.rsplit("/g", 1)[1])
            for path in world.store.docs
            if path.startswith(names.groups_collection(analysis) + "/")
        )
        pipeline.deliver(world.deps(), step, dict(payload))
        if step == "interim":
            doc = world.store.docs[names.interim_doc(analysis, payload["finished"])]
            assert doc["results"] == direct(edges, finished, OPTIONS.results)
            assert doc["groups"] == len(finished) >= payload["finished"]
            seen.append(reports.status(world.deps(), analysis)["interim"])

    total_groups = -(-len({a for a, b in edges if b == 0}) // PAGE)  # a page a group
    steps = interim.schedule(interim.max_groups(OPTIONS.max_followers, PAGE))
    stored = [p for p in world.store.docs if p.startswith(names.interims_collection(analysis))]
    assert 2 <= len(stored) <= len([s for s in steps if s <= total_groups])
    early = [shown for shown in seen if shown["groups"] < total_groups]
    assert early and all(not shown["final"] and shown["basis"] < 1 for shown in early)
    assert all(shown["score"] == "overlap_share" for shown in seen)

    result = reports.result(world.deps(), analysis)
    final = result["interim"]
    assert final["final"] and final["score"] == "cosine" and final["basis"] == 1.0
    assert [(r["id"], r["overlap"], r["score"]) for r in final["results"]] == [
        (s["id"], s["overlap"], s["score"]) for s in result["similar"]
    ]
    assert final["moved"] is not None
    interim_writes = sum(world.store.docs[p]["cost"]["firestore_writes"] for p in stored)
    assert interim_writes == len(stored)  # one write each, carried into the result's cost
    assert result["cost"]["upstream_calls"] == world.upstream_calls


def test_the_first_interim_did_not_move_and_a_later_one_says_how_far_it_moved():
    world = World(graph(seed=8))
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    while world.queue.pending:  # first in, first out: the groups end in their order
        _, step, payload = world.queue.pending.popleft()
        pipeline.deliver(world.deps(), step, dict(payload))
    stored = sorted(
        (doc["step"], doc)
        for path, doc in world.store.docs.items()
        if path.startswith(names.interims_collection(analysis) + "/")
    )
    first, *later = [doc for _, doc in stored]
    assert first["moved"] is None
    for before, doc in zip([first, *later], later, strict=False):
        ids_before = [row["id"] for row in before["results"]]
        ids = [row["id"] for row in doc["results"]]
        assert doc["moved"] == interim.movement(ids_before, ids).as_dict()


def test_no_interim_is_ranked_for_an_analysis_that_ended():
    world = World(graph())
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    world.store.docs[names.analysis_doc(analysis)]["status"] = "failed"
    world.queue.pending.clear()
    pipeline.run(world.deps(), RankInterim(analysis=analysis, finished=1))
    assert names.interim_doc(analysis, 1) not in world.store.docs
    assert reports.status(world.deps(), analysis)["interim"] is None
