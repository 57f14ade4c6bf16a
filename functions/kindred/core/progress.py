"""How far an analysis has got, in upstream calls, and how long the rest will take.

The crawl's pace is its queue's rate: every upstream call goes through a queue configured
at the upstream's budget, so a crawl makes about `rate` calls a second (shared with the
other analyses on the same queue). What is known exactly is the work of the finished groups;
chains in flight write nothing until they end. So the estimate is a time model, checked
against what is known:

- calls expected: the followers pages, a guess of follows pages per follower (the measured
  one once groups have finished), the profile batches;
- calls made: the queue's rate times the time crawled, never below what finished groups
  record, never above what remains possible (each unfinished chain needs one call more).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PAGE = 100  # followers per page: one group
PROFILE_BATCH = 25  # profiles per call
# Follows pages per follower before any group has finished: most accounts follow fewer than
# a page's worth; some follow many pages (the bundled graph measured 1.17).
PRIOR_CALLS_PER_FOLLOWER = 1.2
MEASURED_AFTER = 50  # followers in finished groups before their own rate replaces the prior
# Past the model's calls with chains still running, the model was low: assume a tenth more.
OVERRUN_MARGIN = 0.1

CRAWLING = ("queued", "followers", "follows")


@dataclass(frozen=True)
class Observed:
    """What the job store says of one analysis, read once per status request."""

    status: str
    followers_in_scope: int
    top_candidates: int
    elapsed: float  # seconds since the crawl started (0 while queued)
    rate: float  # calls per second this analysis gets from its queue
    followers_calls: int | None  # calls of the followers pages, once they are all paged
    groups_total: int | None  # known once the followers are all paged
    groups_done: int
    followers_done: int  # followers in finished groups (counted or skipped)
    follows_calls_done: int  # upstream calls of the finished groups
    calls_final: int | None = None  # the whole cost, once done
    page: int = PAGE  # followers per page (the provider's largest: Mastodon's is 80)
    batch: int = PROFILE_BATCH  # profiles per call (Mastodon's: 40)
    planned: int | None = None  # fast mode: the calls its decisions so far will have made
    spent: int = 0  # fast mode: the calls made when its last decision planned (0 before one)
    since: float | None = None  # seconds since that decision (None: `elapsed`)


@dataclass(frozen=True)
class Progress:
    share: float
    upstream_calls: int
    upstream_calls_expected: int
    estimated_seconds_left: float | None
    followers_estimate: int  # followers whose follows have been read, by the same model


def estimate(seen: Observed) -> Progress:
    if seen.calls_final is not None:
        calls = seen.calls_final
        return Progress(1.0, calls, calls, 0.0, seen.followers_in_scope)
    if seen.planned is not None:
        return _planned(seen, seen.planned)
    groups = seen.groups_total or math.ceil(seen.followers_in_scope / seen.page)
    followers_calls = seen.followers_calls or math.ceil(seen.followers_in_scope / seen.page) or 1
    per_follower = (
        seen.follows_calls_done / seen.followers_done
        if seen.followers_done >= MEASURED_AFTER
        else PRIOR_CALLS_PER_FOLLOWER
    )
    profile_calls = math.ceil(seen.top_candidates / seen.batch)
    follows_calls = math.ceil(seen.followers_in_scope * per_follower)
    known = seen.follows_calls_done + (seen.followers_calls or 0)
    crawling = seen.status in CRAWLING
    if crawling:
        made = max(known, round(seen.elapsed * seen.rate))
        if made >= followers_calls + follows_calls:
            follows_calls = math.ceil((made - followers_calls) * (1 + OVERRUN_MARGIN))
        still_needed = (groups - seen.groups_done) + profile_calls
    else:  # the crawl is over: what it cost is known, the profile batches remain
        made, follows_calls = known, seen.follows_calls_done
        still_needed = 1 if seen.status == "profiles" else 0
    expected = max(followers_calls + follows_calls + profile_calls, made + still_needed)
    share = made / expected if expected else 1.0
    left = (expected - made) / seen.rate if seen.rate > 0 else None
    crawled = min(1.0, max(0, made - followers_calls) / max(follows_calls, 1)) if crawling else 1
    followers = max(seen.followers_done, round(seen.followers_in_scope * crawled))
    return Progress(
        round(min(share, 0.999), 4),
        made,
        expected,
        None if left is None else round(left, 1),
        followers,
    )


def _planned(seen: Observed, planned: int) -> Progress:
    """Fast mode reads what each decision chooses, so what it will read in all is known only
    a round ahead: the bar runs from the last decision's calls to what it plans, at the
    queue's rate, and moves back when a decision plans more."""
    known = seen.follows_calls_done + (seen.followers_calls or 0)
    since = seen.elapsed if seen.since is None else seen.since
    made = max(known, seen.spent, min(seen.spent + round(since * seen.rate), planned - 1))
    expected = max(planned, made + 1)
    left = (expected - made) / seen.rate if seen.rate > 0 else None
    return Progress(
        round(min(made / expected, 0.999), 4),
        made,
        expected,
        None if left is None else round(left, 1),
        seen.followers_done,
    )
