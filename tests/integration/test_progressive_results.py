"""Progressive results on the local stack: while the crawl runs, the status carries an interim
ranking over the finished groups, each stored interim is the direct count over the followers
of some of the groups, the last status's interim is the result, and the interims cost no
upstream call and one Firestore write each."""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter

import pytest
from google.cloud import firestore
from support import expected
from support.api import call, finished, submit

from kindred.core import interim, names

# The bundled graph's largest account, capped at 420 followers: groups of 100, 100, 100, 100
# and 20. The chains run side by side, so the full groups end together in the last tenth of
# the calls (docs/decisions/0009); the short one ends first, about a third of the way.
ACCOUNT = 115485051
OPTIONS = {**expected.DEFAULTS, "max_followers": 420, "max_follows_per_follower": 60}
PAGE = 100


@pytest.fixture(scope="module")
def edge_list():
    return expected.load()


def stored_interims(env: dict, analysis: str) -> list[dict]:
    os.environ["FIRESTORE_EMULATOR_HOST"] = env["FIRESTORE_EMULATOR_HOST"]
    client = firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"])
    path = env.get("KINDRED_COLLECTION_PREFIX", "") + names.interims_collection(analysis)
    return sorted((doc.to_dict() for doc in client.collection(path).stream()), key=by_step)


def by_step(doc: dict) -> int:
    return doc["step"]


def ranking_of(edges: expected.EdgeList, groups: tuple[int, ...]) -> list[tuple[str, int]]:
    """The top `results` by overlap among the followers of these pages, as the graph serves."""
    audience = edges.followers[ACCOUNT][: OPTIONS["max_followers"]]
    overlap: Counter[int] = Counter()
    for group in groups:
        for follower in audience[group * PAGE : (group + 1) * PAGE]:
            overlap.update(edges.follows.get(follower, [])[: OPTIONS["max_follows_per_follower"]])
    overlap.pop(ACCOUNT, None)
    ids = expected.Identity("ego-twitter")
    ranked = sorted(overlap.items(), key=lambda item: (-item[1], ids.did(item[0])))
    return [(ids.did(account), shared) for account, shared in ranked[: OPTIONS["results"]]]


def test_the_interims_come_before_the_end_and_the_last_status_is_the_result(fast_stack, edge_list):
    calls_before = call("GET", fast_stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"]
    submitted = submit(fast_stack, f"u{ACCOUNT}.ego-twitter.test", OPTIONS)
    seen = []
    while (status := call("GET", submitted["status_url"])[1])["status"] != "done":
        if status["interim"] is not None:
            seen.append(status["interim"])
        time.sleep(0.1)
    result = finished(submitted)
    spent = call("GET", fast_stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"] - calls_before

    groups = len(range(0, result["followers_in_scope"], PAGE))
    assert seen, "no interim ranking in any status before the end"
    assert all(not shown["final"] and shown["score"] == "overlap_share" for shown in seen)
    assert any(shown["groups"] < groups and shown["basis"] < 1 for shown in seen)

    stored = stored_interims(fast_stack, submitted["id"])
    assert 1 <= len(stored) <= len(interim.schedule(groups)) == groups
    for doc in stored:
        got = [(row["id"], row["overlap"]) for row in doc["results"]]
        subsets = itertools.combinations(range(groups), doc["groups"])
        assert any(got == ranking_of(edge_list, subset) for subset in subsets), doc["step"]
        assert doc["at"] < time.time()
    if stored[-1]["groups"] == groups:  # the interim of every group is the aggregate's order
        popular = [(p["id"], p["overlap"]) for p in result["popular"][: OPTIONS["results"]]]
        assert [(row["id"], row["overlap"]) for row in stored[-1]["results"]] == popular

    final = result["interim"]
    assert final["final"] and final["score"] == "cosine" and final["basis"] == 1.0
    assert [(r["id"], r["handle"], r["overlap"], r["score"]) for r in final["results"]] == [
        (s["id"], s["handle"], s["overlap"], s["score"]) for s in result["similar"]
    ]
    status = call("GET", submitted["status_url"])[1]
    assert status["interim"] == final  # the status and the result agree once done

    assert result["cost"]["upstream_calls"] == expected.minimum_calls(ACCOUNT, OPTIONS) == spent
    interim_writes = sum(doc["cost"]["firestore_writes"] for doc in stored)
    assert interim_writes == len(stored)
    assert result["cost"]["firestore_writes"] <= 7 + groups + len(stored)
