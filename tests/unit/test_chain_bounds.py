"""Chains end on a hostile upstream: a cap on pages, a bounded state, a stop once finished."""

from __future__ import annotations

import json

from support.fakes import FakeGraph, World
from test_pipeline_logic import run

from kindred.core.messages import ReadFollows
from kindred.core.options import AnalysisOptions
from kindred.core.pagination import SEEN_KEPT, PageState, advance, max_pages
from kindred.ports import Page
from kindred.services import crawl
from kindred.services.submit import submit

EDGES = [(n, 0) for n in range(1, 5)] + [(n, m) for n in range(1, 5) for m in range(5, 9)]


def test_empty_pages_with_a_fresh_cursor_each_time_stop_at_the_page_cap():
    state, pages = PageState(), 0
    while True:
        step = advance(state, 0, f"fresh-{pages}", cap=5_000, limit=100)
        state, pages = step.state, pages + 1
        if step.done:
            break
    assert (step.stop_reason, pages) == ("page_cap", max_pages(5_000, 100))
    assert max_pages(5_000, 100) == 64 and max_pages(100_000, 100) == 1_252
    assert len(state.seen) <= SEEN_KEPT and state.cursor is None


def test_the_carried_cursor_digests_stay_bounded_and_a_short_loop_is_still_caught():
    state = PageState()
    for n in range(200):
        state = advance(state, 10, f"c{n}", cap=10**6, limit=10).state
    assert len(state.seen) == SEEN_KEPT
    assert len(json.dumps(state.to_dict())) < 700
    assert advance(state, 10, "c190", cap=10**6, limit=10).stop_reason == "repeated_cursor"


def test_full_pages_are_never_cut_by_the_page_cap():
    state = PageState()
    for n in range(50):
        step = advance(state, 100, f"c{n}", cap=5_000, limit=100)
        state = step.state
    assert (step.done, step.stop_reason, state.items) == (True, "cap", 5_000)


class EndlessGraph(FakeGraph):
    """a1's follows: empty pages with a new cursor every time; entries dropped on a2's."""

    def follows(self, actor, cursor, limit):
        if actor == "a1":
            self._spend()
            return Page((), f"{int(cursor or 0) + 1}")
        page = super().follows(actor, cursor, limit)
        return Page(page.accounts, page.cursor, {"invalid_id": 2} if actor == "a2" else {})


def world_of(graph_kind) -> World:
    world = World(EDGES)
    deps = world.deps

    def with_graph():
        made = deps()
        graph = graph_kind(EDGES, made.meter)
        graph.on_call = world._count
        made.graph = lambda _: graph
        return made

    world.deps = with_graph
    return world


def test_an_endless_follows_chain_ends_and_dropped_entries_are_counted():
    world = world_of(EndlessGraph)
    options = AnalysisOptions(max_follows_per_follower=30)
    submitted = submit(world.deps(), "a0", "local", options)
    run(world)
    doc = world.store.docs[f"analyses/{submitted.id}"]
    assert doc["status"] == "done"
    assert doc["result"]["skipped"] == {"invalid_id": 4}  # 2 on each of a2's 2 pages
    # a1: max_pages(30, 3) pages; the three others 2 pages each (4 follows by 3); followers,
    # the lookup at submit, and two profiles batches (max_batch 2).
    assert world.upstream_calls == 1 + 2 + max_pages(30, 3) + 3 * 2 + 2


def test_a_chain_stops_recording_nothing_once_its_analysis_is_finished():
    world = world_of(EndlessGraph)
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    path = f"analyses/{submitted.id}"
    calls_at_done = None

    def finish_after_twenty():
        nonlocal calls_at_done
        world._count_calls += 1
        if world._count_calls == 20:
            world.store.docs[path]["status"] = "done"  # as the sweeper and rank would
            calls_at_done = world._count_calls

    world._count_calls = 0
    world._count = finish_after_twenty
    run(world)
    assert world._count_calls - calls_at_done < crawl.STATUS_EVERY
    assert f"{path}/groups/g000000" not in world.store.docs  # a1's group, never ended


def test_the_status_is_read_every_tenth_page_only():
    due = [
        (index, pages)
        for index in range(25)
        for pages in range(25)
        if crawl.status_due(index, PageState(pages=pages))
    ]
    assert (0, 0) not in due and (0, 10) in due and (10, 0) in due and (3, 7) not in due
    assert len([d for d in due if d[0] == 0]) == 2  # pages 10 and 20 of the first follower


def test_followers_dropped_by_the_adapter_start_their_group_counted():
    message = ReadFollows(analysis="x", provider="local", options=AnalysisOptions(), group=0,
                          followers=("a1",), skipped={"invalid_id": 3})  # fmt: skip
    assert ReadFollows.__dataclass_fields__["skipped"] and message.skipped == {"invalid_id": 3}
