"""The real pipeline on the local stack against a hostile upstream (`support.hostile`).

Each case ends `done` with the bad data skipped and counted, or `failed` with a reason, in
bounded time and memory: the wall time and the tasks function's peak RSS (VmHWM, reset before
each case through /proc/PID/clear_refs) are printed per case (`pytest -s`) and bounded here.

The stack is one of its own whose functions' KINDRED_GRAPH_URL is the hostile server: the
stack's `stack_env` is wrapped for the start, so no stack code changes for the test.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support import hostile
from support.api import call, submit, wait_until
from support.stack import speed_up

from kindred_infra import stack
from kindred_infra.stack import control, plan, state
from kindred_infra.stack.control import read_env_file

TIMEOUT = 2.0  # the functions' upstream timeout: the whole of one call
FIGURES: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def hostile_stack(tmp_path_factory):
    with hostile.HostileUpstream() as upstream, pytest.MonkeyPatch.context() as patch:
        original = plan.stack_env

        def pointed_at_hostile(options):
            return {**original(options), "KINDRED_GRAPH_URL": upstream.url}

        patch.setattr(plan, "stack_env", pointed_at_hostile)
        patch.setattr(control, "stack_env", pointed_at_hostile)
        home = tmp_path_factory.mktemp("hostile") / "home"
        options = stack.StackOptions(
            home=home, ports=stack.free_ports(), rate_limit="0", upstream_timeout=TIMEOUT
        )
        stack.up(options)
        try:
            yield speed_up(read_env_file(home), quick_retries=True), upstream, home
        finally:
            stack.down(home)
            for case, (seconds, mb) in FIGURES.items():
                print(f"hostile {case}: {seconds:.1f} s, tasks function peak RSS {mb:.0f} MB")


def tasks_pids(home: Path) -> list[int]:
    """The tasks function's processes: gunicorn's arbiter and its workers."""
    record = state.load(home)
    assert record is not None
    pids = [part.pid for part in record.parts if part.name == "function:tasks"]
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
    return pids


def peak_rss_mb(pids: list[int], reset: bool = False) -> float:
    peak = 0
    for pid in pids:
        if reset:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def run_case(hostile_stack, case: str, options: dict, until=("done", "failed")) -> dict:
    env, _, home = hostile_stack
    pids = tasks_pids(home)
    peak_rss_mb(pids, reset=True)
    began = time.monotonic()
    submitted = submit(env, hostile.target(case), options)
    report = wait_until(submitted, lambda r: r.get("status") in until, timeout=150)
    FIGURES[case] = (time.monotonic() - began, peak_rss_mb(pids))
    assert FIGURES[case][1] < 250, FIGURES[case]  # MB: it was 296 on a 50 MB body
    return report if report["status"] == "failed" else call("GET", submitted["results_url"])[1]


OPTIONS = {"max_followers": 1000, "max_follows_per_follower": 5000, "top_candidates": 50}


def overlaps(result: dict) -> dict[str, int]:
    return {p["id"]: p["overlap"] for p in result["popular"]}


def test_forged_dids_are_dropped_and_counted_and_overlaps_stay_true(hostile_stack):
    result = run_case(hostile_stack, "inject", OPTIONS)
    assert result["status"] == "done"
    assert result["skipped"] == {"invalid_id": 6}  # two forged entries on each of 3 pages
    assert overlaps(result) == {hostile.did(f"{c}-inject"): 3 for c in hostile.CANDIDATES}
    assert all(s["score"] <= 1 for s in result["similar"])


def test_endless_empty_follows_pages_end_at_the_page_cap(hostile_stack):
    _, upstream, _ = hostile_stack
    result = run_case(hostile_stack, "endless", OPTIONS)
    assert result["status"] == "done" and result["followers_analyzed"] == 3
    # lookup, followers, 64 pages of f1's (max_pages(5000, 100)), f2's and f3's, profiles
    assert upstream.calls["endless"] == 1 + 1 + 64 + 2 + 1


def test_endless_empty_followers_pages_end_at_the_page_cap(hostile_stack):
    _, upstream, _ = hostile_stack
    result = run_case(hostile_stack, "endless-followers", OPTIONS)
    assert result["status"] == "done" and result["followers_analyzed"] == 3
    assert upstream.calls["endless-followers"] == 1 + 14 + 3 + 1  # max_pages(1000, 100) = 14


def test_a_page_longer_than_asked_for_is_cut_to_the_limit(hostile_stack):
    result = run_case(hostile_stack, "long", {**OPTIONS, "max_followers": 100})
    assert result["status"] == "done" and result["followers_analyzed"] == 100
    assert result["skipped"] == {"over_limit": 9_900}


def test_a_body_over_the_size_cap_fails_the_analysis_with_a_reason(hostile_stack):
    report = run_case(hostile_stack, "huge", OPTIONS)
    assert report["status"] == "failed", report
    assert report["error"]["reason"] == "upstream_error"
    assert "over the 2000000 cap" in report["error"]["message"]


def test_candidates_with_bad_counts_are_left_out_and_the_good_one_scored(hostile_stack):
    result = run_case(hostile_stack, "counts", OPTIONS)
    assert result["status"] == "done"
    assert [s["id"] for s in result["similar"]] == [hostile.did("c6-counts")]
    assert result["similar"][0]["followers_count"] == 3


def test_a_target_with_a_bad_count_is_refused_at_submit_not_a_500(hostile_stack):
    env, _, _ = hostile_stack
    status, body = call(
        "POST", f"{env['KINDRED_API_URL']}/analyses",
        {"account": hostile.target("badcount"), "options": OPTIONS},
        {"Authorization": f"Bearer {env['KINDRED_API_KEY']}"},
    )  # fmt: skip
    assert (status, body["error"]) == (422, "malformed"), body


def test_a_slow_drip_is_cut_at_the_deadline_and_its_follower_skipped(hostile_stack):
    result = run_case(hostile_stack, "drip", OPTIONS)
    assert result["status"] == "done" and result["followers_analyzed"] == 2
    assert result["skipped"] == {"upstream_error": 1}


def test_a_50_mb_body_is_read_no_further_than_the_cap(hostile_stack):
    result = run_case(hostile_stack, "bigbody", OPTIONS)
    assert result["status"] == "done" and result["followers_analyzed"] == 2
    assert result["skipped"] == {"upstream_error": 1}
