"""A collection survives its instances' deaths and a restart of the whole stack: it ends with
the fault-free files (the graph server's own feed, capped, each once, bytes giving their CID),
and what finished is not repeated: the getBlob calls are at most the minimum plus the blob
tasks caught in flight (their getBlob answered, their outcome not yet written) at each stop."""

from __future__ import annotations

import os
import signal
import time

import pytest
from support.api import call, wait_for_calls
from support.collection import (
    ACCOUNTS,
    BLOB,
    BUSY,
    CAP,
    EMPTY,
    assert_exact_files,
    collection_done,
    expectations,
    minimum,
    spent,
    stats,
    submit_collection,
)  # fmt: skip
from support.stack import bucket, queue_path, running, tasks_client

from kindred_infra import stack
from kindred_infra.stack import state
from kindred_infra.stack.control import read_env_file


@pytest.fixture(scope="module")
def restart_stack(tmp_path_factory):
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("collect-restarts"), ports=stack.free_ports(),
        rate_limit="0", media=True,
    )  # fmt: skip
    with running(options):
        yield options


@pytest.fixture
def fresh(restart_stack):
    """The stack with no stored media: each test's collection fetches every image anew."""
    env = read_env_file(restart_stack.home)
    for blob in bucket(env).list_blobs(prefix="media/"):
        blob.delete()
    return restart_stack


def fetched_outcomes(env: dict[str, str], collection: str) -> int:
    """Images whose getBlob this collection has recorded (stored, or failed at the host)."""
    names = [b.name for b in bucket(env).list_blobs(prefix=f"collections/{collection}/outcomes/")]
    return sum(name.endswith(".stored") or ".failed-" in name for name in names)


def test_killing_the_tasks_function_mid_collection_loses_and_repeats_nothing(fresh):
    env = read_env_file(fresh.home)
    want = expectations(env)
    before = stats(env)
    submitted = submit_collection(env, ACCOUNTS, CAP)
    in_flight = []
    for calls in (15, 35):  # of some 55: both kills fall among the getBlob tasks
        wait_for_calls(env, before["requests"] + calls)
        tasks_function = next(
            part for part in state.load(fresh.home).parts if part.name == "function:tasks"
        )
        os.killpg(tasks_function.pid, signal.SIGKILL)  # blob tasks in flight die half done
        time.sleep(0.3)  # answers already on their way land
        answered = spent(before, stats(env))[BLOB]
        in_flight.append(answered - fetched_outcomes(env, submitted["id"]))
        stack.restart(fresh.home, "function:tasks")

    result = collection_done(submitted)
    used = spent(before, stats(env))
    assert_exact_files(env, result, want)
    _, blobs = minimum(want)
    print(f"\n2 kills: {used[BLOB]} getBlob for a minimum of {blobs} (+ up to 2 refused for the "
          f"deactivated account); in flight at the kills: {in_flight}")  # fmt: skip
    assert blobs <= used[BLOB] <= blobs + 2 + sum(in_flight)


def test_a_restart_of_the_whole_stack_mid_collection_ends_with_the_same_files(fresh):
    env = read_env_file(fresh.home)
    want = expectations(env)
    before = stats(env)
    submitted = submit_collection(env, ACCOUNTS, CAP)
    wait_for_calls(env, before["requests"] + 25)
    recorded = fetched_outcomes(env, submitted["id"])
    at_stop = spent(before, stats(env))  # the graph server's counts start again at its restart
    assert call("GET", submitted["status_url"])[1]["status"] == "running"
    stopped = stack.down(fresh.home)
    assert "function:tasks" in stopped
    stack.up(fresh)
    env = read_env_file(fresh.home)

    result = collection_done(submitted)
    used = spent({}, stats(env))  # a new graph server: every call it counted is the collection's
    assert_exact_files(env, result, want)
    _, blobs = minimum(want)
    total, in_flight = at_stop[BLOB] + used[BLOB], at_stop[BLOB] - recorded
    print(f"\nstack restart at {at_stop['requests']} calls: {total} getBlob for a minimum of "
          f"{blobs}; in flight at the stop: {in_flight}")  # fmt: skip
    assert blobs <= total <= blobs + 2 + in_flight


@pytest.fixture
def sweeping_media_stack(tmp_path):
    options = stack.StackOptions(
        home=tmp_path / "home", ports=stack.free_ports(), rate_limit="0", media=True,
        stale_seconds=4, cron_every=1,
    )  # fmt: skip
    with running(options) as env:
        yield env


def test_the_sweeper_ends_a_collection_whose_blob_queue_stalls(sweeping_media_stack):
    env = sweeping_media_stack
    client, blobs = tasks_client(env), queue_path(env, "upstream-local-blobs")
    client.pause_queue(name=blobs)  # no image gets an outcome: the accounts cannot finish
    try:
        submitted = submit_collection(env, ACCOUNTS, CAP)
        result = collection_done(submitted, 60)
    finally:
        client.resume_queue(name=blobs)
    assert call("GET", submitted["status_url"])[1]["status"] == "done"
    by_account = {a["account"]: a for a in result["accounts"]}
    busy = by_account[BUSY]
    assert (busy["images"], busy["missing"]) == (0, CAP), busy  # what it missed, said
    assert by_account[EMPTY]["status"] == "done" and by_account[EMPTY]["images"] == 0
