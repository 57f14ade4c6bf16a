"""Interim rankings over in-memory fakes: each one is the direct count over the followers that
every chain had read at its latest checkpoint (all of them for a finished group), the first
rests mostly on chains under way, the status shows the last, the final status shows the result,
and the interims cost Firestore writes (one each, bounded) but the checkpoints none."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from support.fakes import FakeGraph, World

from kindred.core import interim, names, tally
from kindred.core.messages import RankInterim
from kindred.core.options import AnalysisOptions
from kindred.services import crawl, pipeline, progressive, reports
from kindred.services.aggregate import merge_parts
from kindred.services.submit import submit

PAGE = FakeGraph.max_page  # followers per group, follows per page
OPTIONS = AnalysisOptions(top_candidates=12, results=6)


def graph(seed: int = 5, nodes: int = 60, edges: int = 700) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    pairs = {(rng.randrange(nodes), rng.randrange(nodes // 2)) for _ in range(edges)}
    return sorted(pairs | {(n, 0) for n in range(1, nodes, 2)})  # account 0: 30+ followers


def audience(edges) -> list[str]:
    return sorted({f"a{a}" for a, b in edges if b == 0})


def direct(edges, followers: list[str], results: int) -> list[dict]:
    """The top `results` by overlap among these followers of a0's."""
    follows: dict[str, list[str]] = {}
    for a, b in edges:
        follows.setdefault(f"a{a}", []).append(f"a{b}")
    overlap = Counter(b for f in followers for b in follows.get(f, []) if b != "a0")
    ranked = sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0]))[:results]
    return [{"id": account, "overlap": shared} for account, shared in ranked]


def read_so_far(world: World, analysis: str, edges) -> list[str]:
    """The followers of the finished groups and, for every other chain, those up to its
    latest checkpoint, as the stores hold them now."""
    done = {
        doc["group"]: doc["followers"]
        for path, doc in world.store.docs.items()
        if path.startswith(names.groups_collection(analysis) + "/")
    }
    latest = {}
    for name in sorted(world.blobs.objects):  # a chain's checkpoints in the order it made them
        group = names.checkpoint_group(name)
        if group is not None and group not in done:
            latest[group] = json.loads(world.blobs.objects[name])["followers"]
    everyone = audience(edges)
    return [f for g, n in (done | latest).items() for f in everyone[g * PAGE : g * PAGE + n]]


def deliver_in_turn(world: World) -> None:
    """First in, first out, as the emulator serves due tasks: the chains go in rounds."""
    while world.queue.pending:
        _, step, payload = world.queue.pending.popleft()
        world.clock.time += 0.01  # a task's time
        pipeline.deliver(world.deps(), step, dict(payload))


def stored_interims(world: World, analysis: str) -> list[dict]:
    prefix = names.interims_collection(analysis) + "/"
    return sorted(
        (doc for path, doc in world.store.docs.items() if path.startswith(prefix)),
        key=lambda doc: doc["at"],
    )


def crawl_until(world: World, analysis: str, checkpoints: int) -> None:
    """Deliver in turn, leaving out the interims, until the chains made `checkpoints`."""
    while len([n for n in world.blobs.objects if names.checkpoint_group(n) is not None]) < (
        checkpoints
    ):
        _, step, payload = world.queue.pending.popleft()
        world.clock.time += 0.01
        if step != "interim":
            pipeline.deliver(world.deps(), step, dict(payload))


@pytest.mark.parametrize("fan_in", [64, 2])  # 2: the carried counts in runs of two chains
def test_each_interim_counts_what_every_chain_had_read_and_the_last_status_is_the_result(
    fan_in, monkeypatch
):
    monkeypatch.setattr(progressive, "FAN_IN", fan_in)
    edges = graph()
    world = World(edges)
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    expected, seen = {}, []
    while world.queue.pending:
        _, step, payload = world.queue.pending.popleft()
        world.clock.time += 0.01
        if step == "interim":
            expected[payload["reached"]] = read_so_far(world, analysis, edges)
        pipeline.deliver(world.deps(), step, dict(payload))
        ranked = step == "interim" and names.interim_doc(analysis, payload["reached"])
        if ranked and ranked in world.store.docs:
            seen.append(reports.status(world.deps(), analysis)["interim"])

    carried = [name for name in world.blobs.objects if "/carried-" in name]
    assert len({name.rsplit("/", 1)[1] for name in carried}) > (1 if fan_in == 2 else 0)
    stored = stored_interims(world, analysis)
    total_groups = -(-len(audience(edges)) // PAGE)
    assert 3 <= len(stored) <= interim.MOST
    for doc in stored:
        followers = expected[doc["step"]]
        assert doc["results"] == direct(edges, followers, OPTIONS.results), doc["step"]
        assert doc["followers"] == doc["followers_analyzed"] == len(followers)
    first = stored[0]  # mostly chains under way: their checkpoints
    assert first["finished"] < first["groups"] / 2 and first["followers"] < len(audience(edges)) / 4
    assert any(0 < doc["finished"] < doc["groups"] for doc in stored)  # both kinds at once
    assert all(not shown["final"] for shown in seen) and seen[0]["basis"] < 0.25
    assert all(shown["score"] == "overlap_share" for shown in seen)
    assert all(0 < shown["groups"] <= total_groups for shown in seen)

    result = reports.result(world.deps(), analysis)
    final = result["interim"]
    assert final["final"] and final["score"] == "cosine" and final["basis"] == 1.0
    assert [(r["id"], r["overlap"], r["score"]) for r in final["results"]] == [
        (s["id"], s["overlap"], s["score"]) for s in result["similar"]
    ]
    assert final["moved"] is not None
    interim_writes = sum(doc["cost"]["firestore_writes"] for doc in stored)
    assert interim_writes == len(stored)  # one write each, carried into the result's cost
    assert result["cost"]["upstream_calls"] == world.upstream_calls


def test_checkpoints_write_to_storage_only_and_change_no_answer(monkeypatch):
    edges = graph(seed=6)
    world = World(edges)
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    deliver_in_turn(world)
    with_interims = reports.result(world.deps(), analysis)

    monkeypatch.setattr(interim, "STEPS", ())  # checkpoints as before, no interim asked
    quiet = World(edges)
    quiet_id = submit(quiet.deps(), "a0", "local", OPTIONS).id
    deliver_in_turn(quiet)
    without = reports.result(quiet.deps(), quiet_id)

    assert without["popular"] == with_interims["popular"]
    assert without["similar"] == with_interims["similar"]
    assert without["cost"]["upstream_calls"] == with_interims["cost"]["upstream_calls"]
    assert stored_interims(quiet, quiet_id) == []
    written = len(stored_interims(world, analysis))
    writes = with_interims["cost"]["firestore_writes"], without["cost"]["firestore_writes"]
    assert writes[0] == writes[1] + written
    checkpoints = [n for n in quiet.blobs.objects if names.checkpoint_group(n) is not None]
    assert checkpoints  # written, to Cloud Storage, and counted there
    assert without["cost"]["storage_writes"] >= len(checkpoints)


def test_a_checkpoint_names_the_spilled_parts_and_holds_the_carried_counts(monkeypatch):
    monkeypatch.setattr(crawl, "SPILL_BYTES", 30)  # a part every follower or so
    edges = graph(seed=7)
    world = World(edges)
    analysis = submit(world.deps(), "a0", "local", AnalysisOptions())
    deliver_in_turn(world)
    everyone = audience(edges)
    records = [
        json.loads(data)
        for name, data in world.blobs.objects.items()
        if names.checkpoint_group(name) is not None
    ]
    assert any(len(record["parts"]) > 1 for record in records)
    assert any(record["tally"] for record in records)
    for record in records:
        counts = Counter(dict(merge_parts(world.deps(), analysis.id, record["parts"])))
        counts += tally.decode_text(record["tally"])  # what it carried, as its payload does
        counts.pop("a0")  # every follower follows the target
        start = record["group"] * PAGE
        want = direct(edges, everyone[start : start + record["followers"]], 1_000)
        assert counts == {row["id"]: row["overlap"] for row in want}


def test_the_first_interim_did_not_move_and_a_later_one_says_how_far_it_moved():
    world = World(graph(seed=8))
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    deliver_in_turn(world)
    first, *later = stored_interims(world, analysis)
    assert first["moved"] is None
    for before, doc in zip([first, *later], later, strict=False):
        ids_before = [row["id"] for row in before["results"]]
        ids = [row["id"] for row in doc["results"]]
        assert doc["moved"] == interim.movement(ids_before, ids).as_dict()


def test_an_interim_asked_again_reads_twice_and_writes_nothing():
    world = World(graph())
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    crawl_until(world, analysis, 2)
    pipeline.run(world.deps(), RankInterim(analysis=analysis, reached=8))
    doc = world.store.docs[names.interim_doc(analysis, 8)]
    deps = world.deps()
    pipeline.run(deps, RankInterim(analysis=analysis, reached=8))
    assert world.store.docs[names.interim_doc(analysis, 8)] == doc
    assert (deps.meter.firestore_reads, deps.meter.firestore_writes) == (2, 0)


def test_no_interim_is_ranked_for_an_analysis_that_ended_or_is_aggregating():
    world = World(graph())
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    world.queue.pending.clear()
    for status in ("failed", "aggregating"):
        world.store.docs[names.analysis_doc(analysis)]["status"] = status
        pipeline.run(world.deps(), RankInterim(analysis=analysis, reached=8))
        assert names.interim_doc(analysis, 8) not in world.store.docs
    assert reports.status(world.deps(), analysis)["interim"] is None


def test_an_interim_that_finds_the_aggregate_began_during_its_merge_ranks_nothing_but_its_cost(
    monkeypatch,
):
    world = World(graph())
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    crawl_until(world, analysis, 2)
    path = names.analysis_doc(analysis)
    streamed = world.blobs.stream

    def aggregate_begins(name: str):
        world.store.docs[path]["status"] = "aggregating"  # while the interim merges
        return streamed(name)

    monkeypatch.setattr(world.blobs, "stream", aggregate_begins)
    pipeline.run(world.deps(), RankInterim(analysis=analysis, reached=8))
    assert names.interim_doc(analysis, 8) not in world.store.docs
    assert progressive.latest(world.deps(), analysis) is None  # no ranking to show
    [cost] = progressive.costs(world.deps(), analysis)  # what its merge read and wrote counts
    assert cost["storage_writes"] >= 1 and cost["firestore_writes"] == 1


def test_the_status_shows_the_interim_ranked_last_whatever_its_step():
    world = World(graph())
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    for checkpoints, reached in ((2, 128), (5, 91)):  # a slow chain judged 91 after 128
        crawl_until(world, analysis, checkpoints)
        pipeline.run(world.deps(), RankInterim(analysis=analysis, reached=reached))
    assert reports.status(world.deps(), analysis)["interim"]["step"] == 91


def test_an_interim_with_nothing_new_to_rank_writes_nothing():
    world = World(graph())
    analysis = submit(world.deps(), "a0", "local", OPTIONS).id
    pipeline.run(world.deps(), RankInterim(analysis=analysis, reached=8))  # nothing read yet
    crawl_until(world, analysis, 2)
    for reached in (12, 16):  # two steps, no page read between them
        pipeline.run(world.deps(), RankInterim(analysis=analysis, reached=reached))
    assert [doc["step"] for doc in stored_interims(world, analysis)] == [12]
