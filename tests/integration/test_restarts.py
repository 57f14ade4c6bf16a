"""Instances die and the whole stack restarts in the middle of an analysis: the analysis goes
on from what the queue and the stores kept, and its answer is the fault-free one. Only a chain
that is truly lost (its task deleted from the queue) leaves a gap: the sweeper moves the
analysis on without it, and the coverage says so."""

from __future__ import annotations

import os
import signal
import time

import pytest
from support import expected
from support.api import call, finished, submit, wait_for_calls, wait_until
from support.expected import DEFAULTS, minimum_calls
from support.stack import queue_path, running, speed_up, tasks_client

from kindred_infra import stack
from kindred_infra.stack import state
from kindred_infra.stack.control import read_env_file

ACCOUNT = 115485051  # the largest account, capped so that the crawl lasts some 15 s at 100/s
OPTIONS = {**DEFAULTS, "max_followers": 1_200, "max_follows_per_follower": 100}


@pytest.fixture(scope="module")
def want():
    return expected.expected(expected.load(), ACCOUNT, OPTIONS)


@pytest.fixture
def stack_options(tmp_path):
    options = stack.StackOptions(home=tmp_path / "home", ports=stack.free_ports(), rate_limit="0")
    with running(options):
        yield options


def test_a_restart_of_the_whole_stack_mid_crawl_resumes_with_the_same_answer(stack_options, want):
    env = speed_up(read_env_file(stack_options.home))
    submitted = submit(env, f"u{ACCOUNT}.ego-twitter.test", OPTIONS)
    wait_for_calls(env, 500)  # of 1,225
    at_stop = call("GET", submitted["status_url"])[1]
    assert at_stop["status"] in ("followers", "follows"), at_stop

    stopped = stack.down(stack_options.home)
    assert "firestore" in stopped and "tasks" in stopped
    stack.up(stack_options)
    env = speed_up(read_env_file(stack_options.home))
    after_restart = call("GET", submitted["status_url"])[1]
    done = "followers_analyzed"  # in finished groups: what the restart must not lose
    assert after_restart["progress"][done] >= at_stop["progress"][done]

    result = finished(submitted, 180)
    expected.assert_same_answer(result, want)
    minimum = minimum_calls(ACCOUNT, OPTIONS)
    print(
        f"restart at 500 calls: {result['cost']['upstream_calls']} calls for a minimum of {minimum}"
    )


def test_killing_the_tasks_function_mid_step_loses_and_doubles_nothing(stack_options, want):
    env = speed_up(read_env_file(stack_options.home))
    submitted = submit(env, f"u{ACCOUNT}.ego-twitter.test", OPTIONS)
    for calls in (250, 550, 850):  # of 1,225: the kills fall in the middle of the crawl
        wait_for_calls(env, calls)
        tasks_function = next(
            part for part in state.load(stack_options.home).parts if part.name == "function:tasks"
        )
        os.killpg(tasks_function.pid, signal.SIGKILL)  # steps in flight die half done
        stack.restart(stack_options.home, "function:tasks")

    result = finished(submitted, 180)
    expected.assert_same_answer(result, want)
    minimum = minimum_calls(ACCOUNT, OPTIONS)
    print(f"3 kills: {result['cost']['upstream_calls']} calls for a minimum of {minimum}")


@pytest.fixture
def sweeping_stack(tmp_path):
    options = stack.StackOptions(
        home=tmp_path / "home", ports=stack.free_ports(), rate_limit="0",
        stale_seconds=10, cron_every=1,  # past the pauses below, so groups 0 and 2 can end
    )  # fmt: skip
    with running(options) as env:
        yield speed_up(env)


def test_a_truly_lost_chain_is_left_behind_by_the_sweeper_and_shows_in_the_coverage(
    sweeping_stack,
):
    options = {**DEFAULTS, "max_followers": 300, "max_follows_per_follower": 100}
    submitted = submit(sweeping_stack, f"u{ACCOUNT}.ego-twitter.test", options)
    client, queue = tasks_client(sweeping_stack), queue_path(sweeping_stack)
    wait_until(submitted, lambda report: report["status"] == "follows", 60)
    client.pause_queue(name=queue)
    try:
        deadline = time.monotonic() + 30
        while True:
            time.sleep(1.0)  # deliveries under way end, each leaving its continuation queued
            if lost := chain_task(client, queue, group=1):
                break
            assert time.monotonic() < deadline, "group 1's chain never showed in the queue"
            client.resume_queue(name=queue)
            time.sleep(0.2)
            client.pause_queue(name=queue)
        client.delete_task(name=lost)
    finally:
        client.resume_queue(name=queue)

    result = finished(submitted, 120)
    assert call("GET", submitted["status_url"])[1]["sweeper_moves"] >= 1  # the sweeper moved it on
    assert result["followers_in_scope"] == 300
    assert result["followers_analyzed"] == 200  # groups 0 and 2; group 1's tally went with it
    assert result["coverage"] == pytest.approx(200 / 300, abs=1e-6)


def chain_task(client, queue: str, group: int) -> str | None:
    """The queued task of one group's follows chain, if it is in the queue now."""
    for task in client.list_tasks(parent=queue):
        if f"-g{group}-f" in task.name.rsplit("/", 1)[-1]:
            return task.name
    return None
