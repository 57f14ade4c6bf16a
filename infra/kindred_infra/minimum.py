"""The fewest upstream calls an analysis can make: what the tests and benchmarks hold the
pipeline's own count against.

One call to look the account up, one per page of its followers, at least one per follower
for its follows (a page each 100, up to the cap), one per batch of 25 candidate profiles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from kindred_infra.graph_server.graph import Graph, sorted_unique

PAGE = 100  # the most accounts one getFollowers / getFollows call returns
PROFILE_BATCH = 25  # the most actors one getProfiles call takes


def minimum_calls(graph: Graph, account: int, options: Mapping[str, int]) -> int:
    """For `account` (an original id of the graph) under the analysis's options."""
    target = graph.index_of(account)
    if target is None:
        raise ValueError(f"account {account} is not in the graph")
    audience = graph.followers(target)[: options["max_followers"]]
    follows = [graph.follows(int(f))[: options["max_follows_per_follower"]] for f in audience]
    follows_pages = sum(max(1, math.ceil(len(page) / PAGE)) for page in follows)
    followed = sorted_unique(np.concatenate(follows)) if follows else np.empty(0, np.int32)
    candidates = min(options["top_candidates"], int(np.count_nonzero(followed != target)))
    return (
        1
        + max(1, math.ceil(len(audience) / PAGE))
        + follows_pages
        + math.ceil(candidates / PROFILE_BATCH)
    )
