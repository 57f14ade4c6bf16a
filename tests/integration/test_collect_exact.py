"""A collection on the real stack with media on is exact: the stored CIDs are the graph
server's own feed (the account's own images, newest first, capped), every file's bytes give
its CID, every image has its sidecar, a second collection fetches nothing, and the upstream
calls are the minimum; under faults and duplicated deliveries, the same files within 1.25x."""

from __future__ import annotations

import pytest
from support.collection import (
    ACCOUNTS,
    BLOB,
    BUSY,
    CAP,
    EMPTY,
    FEED,
    assert_exact_files,
    collect,
    expectations,
    minimum,
    spent,
    stats,
)  # fmt: skip
from support.stack import running

from kindred_infra import stack


def test_stored_cids_bytes_sidecars_and_calls_are_exact(media_stack):
    want = expectations(media_stack)
    before = stats(media_stack)
    result = collect(media_stack, ACCOUNTS, CAP)
    used = spent(before, stats(media_stack))
    assert_exact_files(media_stack, result, want)
    assert result["created_at"].endswith("Z") and result["finished_at"].endswith("Z")
    pages, blobs = minimum(want)
    print(f"\nfault-free: {used[FEED]} feed pages + {used[BLOB]} getBlob = {used['requests']} "
          f"calls; minimum {pages} + {blobs} = {pages + blobs}; "
          f"the collection reports {result['progress']['upstream_calls']}")  # fmt: skip
    assert used[FEED] == pages
    # the deactivated account: one getBlob per blob task in flight when its refusal lands
    assert blobs <= used[BLOB] <= blobs + 2
    assert used["requests"] == used[FEED] + used[BLOB]
    assert result["progress"]["upstream_calls"] == used["requests"]

    again_before = stats(media_stack)
    again = collect(media_stack, [EMPTY, BUSY], CAP)
    again_used = spent(again_before, stats(media_stack))
    print(f"second collection: {again_used[FEED]} feed pages, {again_used[BLOB]} getBlob")
    assert again_used[BLOB] == 0 and again_used[FEED] == want[EMPTY][1] + want[BUSY][1]
    busy = again["accounts"][1]
    assert busy["images"] == CAP and busy["already_stored"] == CAP and busy["fetched"] == 0


@pytest.fixture(scope="module")
def faulty_media_stack(tmp_path_factory):
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("faulty-media"), ports=stack.free_ports(), rate_limit="0",
        media=True, faults=0.1, fault_seed=7, duplicates=0.1,
        upstream_timeout=2.0, slow_seconds=3.0,  # a "slow" answer outlasts the client, sooner
    )  # fmt: skip
    with running(options) as env:
        yield env


def test_under_faults_and_duplicates_the_same_files_each_once_within_the_budget(
    media_stack, faulty_media_stack
):
    env = faulty_media_stack
    want = expectations(media_stack)  # the feed is derived from the graph: the same on both
    before = stats(env)
    result = collect(env, ACCOUNTS, CAP, timeout=600)
    after = stats(env)
    used = spent(before, after)
    pages, blobs = minimum(want)
    print(f"\nfaults 0.1 + duplicates 0.1: {used[FEED]} feed calls + {used[BLOB]} getBlob = "
          f"{used['requests']} calls for a minimum of {pages + blobs} "
          f"({used['requests'] / (pages + blobs):.3f}x); "
          f"{after['errors_injected'] - before['errors_injected']} faults injected")  # fmt: skip
    assert after["errors_injected"] > before["errors_injected"]  # the faults did happen
    assert used["requests"] <= 1.25 * (pages + blobs)
    busy = next(a for a in result["accounts"] if a["account"] == BUSY)
    print(f"{BUSY}: {busy['images']} stored, failed {busy['failed']}")
    assert_exact_files(env, result, want)
