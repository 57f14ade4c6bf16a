"""Follows reused across analyses (core.reuse) on the local stack: an analysis whose audience
overlaps an earlier one's counts the shared followers from their stored follows, spends fewer
upstream calls, as the graph server counts them, and gives exactly the answer of an analysis
with reuse off (max_age 0), which is the answer computed from the edge list."""

from __future__ import annotations

import math
import time

import pytest
from support import expected
from support.api import analyse, call
from support.stack import bucket, generations, written

from kindred.core import reuse
from kindred.core.options import AnalysisOptions
from kindred_infra.graph_server.identity import Identity

FIRST, SECOND = 40981798, 43003845  # the 2nd and 3rd most-followed: 63 of their first 150 shared
OPTIONS = {"max_followers": 150, "top_candidates": 60, "results": 25}
PAGE = 100


@pytest.fixture(scope="module")
def edge_list():
    return expected.load()


def test_a_second_analysis_reuses_the_follows_the_first_stored_and_answers_the_same(
    fast_stack, edge_list
):
    handle = "u{}.ego-twitter.test".format
    without = {**expected.DEFAULTS, **OPTIONS}  # max_age 0
    spent, unreused = calls(fast_stack, lambda: analyse(fast_stack, handle(SECOND), without))
    assert spent == unreused["cost"]["upstream_calls"] == expected.minimum_calls(SECOND, without)
    assert unreused["followers_reused"] == 0

    before = generations(fast_stack, "follows/")
    _, first = calls(fast_stack, lambda: analyse(fast_stack, handle(FIRST), OPTIONS))
    stored = written(before, generations(fast_stack, "follows/"))
    objects = list(bucket(fast_stack).list_blobs(prefix=f"analyses/{first['id']}/"))
    assert len(stored) == first["followers_analyzed"] - first["followers_reused"]
    assert first["cost"]["storage_writes"] == len(objects) + len(stored)  # a list: one write

    serving = servable(fast_stack, edge_list, SECOND)  # stored now: the first's, and any earlier
    audiences = [set(edge_list.followers[a][: OPTIONS["max_followers"]]) for a in (FIRST, SECOND)]
    assert audiences[0] & audiences[1] <= serving and len(audiences[0] & audiences[1]) == 63
    spent, reusing = calls(fast_stack, lambda: analyse(fast_stack, handle(SECOND), OPTIONS))
    assert reusing["followers_reused"] == len(serving)
    saved = sum(max(1, math.ceil(len(edge_list.follows[f]) / PAGE)) for f in serving)
    assert spent == reusing["cost"]["upstream_calls"] == unreused["cost"]["upstream_calls"] - saved
    assert reusing["cost"]["storage_reads"] >= reusing["followers_analyzed"]  # a lookup each

    fields = ("followers_analyzed", "followers_in_scope", "coverage", "skipped", "popular")
    assert {f: reusing[f] for f in fields} == {f: unreused[f] for f in fields}
    assert reusing["similar"] == unreused["similar"]
    expected.assert_same_answer(reusing, expected.expected(edge_list, SECOND, without))


def calls(stack: dict, run) -> tuple[int, dict]:
    """The upstream calls the graph server answered during `run()`, and what it returned."""
    before = call("GET", stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"]
    result = run()
    return call("GET", stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"] - before, result


def servable(stack: dict, edge_list: expected.EdgeList, target: int) -> set[int]:
    """The target's analysed followers whose stored follows serve OPTIONS now."""
    ids, cap = Identity("ego-twitter"), expected.DEFAULTS["max_follows_per_follower"]
    audience = {ids.did(f): f for f in edge_list.followers[target][: OPTIONS["max_followers"]]}
    found = set()
    for blob in bucket(stack).list_blobs(prefix="follows/local/"):
        follower = audience.get(blob.name.removeprefix("follows/local/").removesuffix(".z"))
        if follower is None:
            continue
        entry = reuse.decode_entry(blob.download_as_bytes())
        follows = reuse.serves(entry, cap, AnalysisOptions().max_age, time.time())
        if follows is not None:  # a list cut at a smaller cap by another test does not serve
            assert follows == tuple(ids.did(a) for a in edge_list.follows[follower][:cap])
            found.add(follower)
    return found
