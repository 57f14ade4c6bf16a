"""The fewest upstream calls an analysis can make: what the tests and benchmarks hold the
pipeline's own count against.

One call to look the account up, one per page of its followers, at least one per follower
for its follows (a page each 100, up to the cap), one per batch of 25 candidate profiles: so
in the AppView dialect. Mastodon's pages hold 80, a batch of profiles 40, and a full page
always names a next one, so a list of exactly 80 takes a second, empty, call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kindred_infra.graph_server.graph import Graph, sorted_unique


@dataclass(frozen=True)
class Paging:
    page: int  # the most accounts one followers or follows call returns
    batch: int  # the most accounts one profiles call takes
    next_when_full: bool = False  # a full page names a next page, even at the list's end


BLUESKY = Paging(100, 25)
MASTODON = Paging(80, 40, next_when_full=True)
PAGE, PROFILE_BATCH = BLUESKY.page, BLUESKY.batch


def pages(size: int, cap: int, paging: Paging = BLUESKY) -> int:
    """Calls to read a list of `size` accounts up to `cap` of them (reaching the cap ends it)."""
    if size >= cap:
        return max(1, math.ceil(cap / paging.page))
    if paging.next_when_full:
        return size // paging.page + 1
    return max(1, math.ceil(size / paging.page))


def minimum_calls(
    graph: Graph, account: int, options: Mapping[str, int], paging: Paging = BLUESKY
) -> int:
    """For `account` (an original id of the graph) under the analysis's options."""
    target = graph.index_of(account)
    if target is None:
        raise ValueError(f"account {account} is not in the graph")
    audience = graph.followers(target)[: options["max_followers"]]
    cap = options["max_follows_per_follower"]
    follows = [graph.follows(int(f)) for f in audience]
    follows_pages = sum(pages(len(listed), cap, paging) for listed in follows)
    counted = [listed[:cap] for listed in follows]
    followed = sorted_unique(np.concatenate(counted)) if counted else np.empty(0, np.int32)
    candidates = min(options["top_candidates"], int(np.count_nonzero(followed != target)))
    followers_pages = pages(graph.followers_count(target), options["max_followers"], paging)
    return 1 + followers_pages + follows_pages + math.ceil(candidates / paging.batch)
