"""Progressive results on the local stack: while the crawl runs, the status carries an interim
ranking over the followers read so far, early (before half the upstream calls); each stored
interim is the direct count over the first followers of each group up to a checkpoint of its
chain (or all of them); the last status's interim is the result; the interims cost no
upstream call and one Firestore write each, and the checkpoints none."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from google.cloud import firestore
from support import expected
from support.api import call, finished, submit
from support.stack import bucket

from kindred.core import interim, names

# The bundled graph's largest account, capped at 420 followers: groups of 100, 100, 100, 100
# and 20, side by side on the queue; every follower's follows fit one page.
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
    return sorted((doc.to_dict() for doc in client.collection(path).stream()), key=by_time)


def by_time(doc: dict) -> float:
    return doc["at"]


def ranking_of(edges: expected.EdgeList, by_group: list[int]) -> list[tuple[str, int]]:
    """The top `results` by overlap among the first `by_group[g]` followers of each page g."""
    audience = edges.followers[ACCOUNT][: OPTIONS["max_followers"]]
    overlap: Counter[int] = Counter()
    for group, done in enumerate(by_group):
        for follower in audience[group * PAGE : group * PAGE + done]:
            overlap.update(edges.follows.get(follower, [])[: OPTIONS["max_follows_per_follower"]])
    overlap.pop(ACCOUNT, None)
    ids = expected.Identity("ego-twitter")
    ranked = sorted(overlap.items(), key=lambda item: (-item[1], ids.did(item[0])))
    return [(ids.did(account), shared) for account, shared in ranked[: OPTIONS["results"]]]


def graph_requests(stack: dict) -> int:
    return call("GET", stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"]


def test_an_interim_comes_before_half_the_calls_and_the_last_status_is_the_result(
    fast_stack, edge_list
):
    calls_before = graph_requests(fast_stack)
    submitted = submit(fast_stack, f"u{ACCOUNT}.ego-twitter.test", OPTIONS)
    seen, first_at = [], None  # the interims shown; the upstream calls when the first was
    while (status := call("GET", submitted["status_url"])[1])["status"] != "done":
        if status["interim"] is not None:
            seen.append(status["interim"])
            first_at = first_at or graph_requests(fast_stack) - calls_before
        time.sleep(0.05)
    result = finished(submitted)
    spent = graph_requests(fast_stack) - calls_before

    in_scope = result["followers_in_scope"]
    sizes = [min(PAGE, in_scope - start) for start in range(0, in_scope, PAGE)]
    assert seen, "no interim ranking in any status before the end"
    assert first_at is not None and first_at < spent / 2, (first_at, spent)
    assert all(not shown["final"] and shown["score"] == "overlap_share" for shown in seen)
    assert seen[0]["groups_finished"] < seen[0]["groups"] and seen[0]["basis"] < 0.5

    stored = stored_interims(fast_stack, submitted["id"])
    assert 2 <= len(stored) <= interim.MOST
    for doc in stored:  # each chain counted up to a checkpoint, or whole once finished
        for group, done in enumerate(doc["by_group"]):
            assert done in {0, sizes[group]} | interim.checkpoints(sizes[group]), doc["step"]
        got = [(row["id"], row["overlap"]) for row in doc["results"]]
        assert got == ranking_of(edge_list, doc["by_group"]), doc["step"]
        assert doc["followers"] == sum(doc["by_group"]) and doc["at"] < time.time()

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
    assert result["cost"]["firestore_writes"] <= 7 + len(sizes) + len(stored)
    prefix = names.checkpoints_prefix(submitted["id"])
    objects = bucket(fast_stack).list_blobs(prefix=prefix)
    records = [blob.name for blob in objects if names.checkpoint_group(blob.name) is not None]
    assert 0 < len(records) <= sum(len(interim.checkpoints(size)) for size in sizes)
