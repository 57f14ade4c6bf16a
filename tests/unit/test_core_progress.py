"""The estimate of an analysis's progress: a time model at the queue's rate, held to the known."""

from __future__ import annotations

import math
from dataclasses import replace

from kindred.core import sampling
from kindred.core.progress import OVERRUN_MARGIN, PRIOR_CALLS_PER_FOLLOWER, Observed, estimate

START = Observed(
    status="follows",
    followers_in_scope=1000,
    top_candidates=300,
    elapsed=0.0,
    rate=20.0,
    followers_calls=None,
    groups_total=None,
    groups_done=0,
    followers_done=0,
    follows_calls_done=0,
)


def test_from_the_first_second_the_estimate_is_the_whole_crawl_at_the_queues_rate() -> None:
    progress = estimate(START)
    expected = 10 + round(1000 * PRIOR_CALLS_PER_FOLLOWER) + 12  # pages, follows, profiles
    assert progress.upstream_calls_expected == expected
    assert progress.upstream_calls == 0
    assert progress.estimated_seconds_left == expected / 20.0


def test_time_crawled_at_the_rate_counts_as_calls_made() -> None:
    progress = estimate(replace(START, elapsed=30.0))
    assert progress.upstream_calls == 600
    assert progress.estimated_seconds_left == (progress.upstream_calls_expected - 600) / 20.0
    assert 0.4 < progress.share < 0.5


def test_finished_groups_replace_the_prior_with_their_own_calls_per_follower() -> None:
    seen = replace(START, elapsed=10.0, groups_done=2, followers_done=200, follows_calls_done=500)
    assert estimate(seen).upstream_calls_expected == 10 + 2500 + 12


def test_past_the_model_the_estimate_keeps_a_margin_until_the_chains_end() -> None:
    seen = replace(START, elapsed=10_000.0, groups_total=10, groups_done=4)
    progress = estimate(seen)
    assert progress.upstream_calls == 200_000
    follows = math.ceil((200_000 - 10) * (1 + OVERRUN_MARGIN))
    assert progress.upstream_calls_expected == 10 + follows + 12
    assert 0.85 < progress.share < 1
    assert progress.estimated_seconds_left > 0


def test_followers_read_follow_the_same_model_and_never_fall_below_the_finished() -> None:
    assert estimate(START).followers_estimate == 0
    halfway = estimate(replace(START, elapsed=(10 + 600) / 20.0))
    assert halfway.followers_estimate == 500
    finished = replace(
        START, elapsed=1.0, groups_done=7, followers_done=700, follows_calls_done=800
    )
    assert estimate(finished).followers_estimate == 700


def test_a_shared_queue_slows_each_analysis() -> None:
    alone, shared = estimate(START), estimate(replace(START, rate=10.0))
    assert shared.estimated_seconds_left == 2 * alone.estimated_seconds_left


def test_after_the_crawl_only_the_profile_batches_are_left() -> None:
    seen = replace(
        START, status="aggregating", elapsed=70.0, followers_calls=10, groups_total=10,
        groups_done=10, followers_done=1000, follows_calls_done=1290,
    )  # fmt: skip
    progress = estimate(seen)
    assert (progress.upstream_calls, progress.upstream_calls_expected) == (1300, 1312)
    assert progress.estimated_seconds_left == 12 / 20.0


def test_a_finished_analysis_reports_what_it_spent() -> None:
    progress = estimate(replace(START, status="done", calls_final=1313))
    assert progress == type(progress)(1.0, 1313, 1313, 0.0, 1000)


def test_fast_mode_runs_to_what_its_decisions_plan_not_to_the_exact_crawl() -> None:
    # Before its first decision: the lookup, 10 followers pages, the first round's 400
    # followers' follows, 15 batches of the 375 candidates' profiles.
    first = sampling.first_calls(1000, 300, PRIOR_CALLS_PER_FOLLOWER, 100, 25)
    assert first == 1 + 10 + 480 + 15
    seen = replace(START, planned=first, elapsed=10.0)
    progress = estimate(seen)
    assert (progress.upstream_calls, progress.upstream_calls_expected) == (200, first)
    # Time at the rate never claims the plan done while the analysis runs ...
    assert estimate(replace(seen, elapsed=60.0)).upstream_calls == first - 1
    # ... nor less than the finished groups and the followers pages made.
    known = estimate(replace(seen, elapsed=0.0, followers_calls=10, follows_calls_done=300))
    assert known.upstream_calls == 310
    # A decision that plans more moves the end, and the share back; the bar runs on from the
    # calls made when it decided.
    later = replace(seen, planned=first + 400, spent=first, since=0.0, elapsed=60.0)
    assert estimate(later).upstream_calls_expected == first + 400
    assert estimate(later).upstream_calls == first
    assert estimate(later).share < estimate(replace(seen, elapsed=60.0)).share
    assert estimate(replace(later, since=5.0)).upstream_calls == first + 100
