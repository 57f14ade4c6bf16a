"""Interim rankings: what an analysis has found so far, while its crawl runs.

Groups of followers finish one after another; the counts of the finished groups, merged,
rank the accounts the followers follow as the aggregate does. Three small pieces of
arithmetic decide when to rank and what to say of it:

- `schedule`: the counts of finished groups that call for an interim, geometric (dense
  early, where the ranking moves most) and at most MOST of them, so the interims' Firestore
  writes are bounded whatever the size of the analysis;
- the interim score, `overlap_share`: the share of the followers whose follows were read
  that follow the candidate. The final score (cosine) needs each candidate's own follower
  count, which only the profiles (upstream calls, at the end) give, so an interim ranks by
  what it has: its order is the aggregate's order of the candidates;
- `movement`: how much the ranking moved since the interim before it, as the share of its
  accounts that are new (`changed`) and as Fagin's top-k Spearman footrule (`footrule`).

Fagin, Kumar and Sivakumar, "Comparing top k lists" (SIAM J. Discrete Math. 17(1), 2003):
an account in one list and not the other is given the rank k (one past the last), and the
footrule sums |rank in one - rank in the other| over the accounts of both lists. Here it is
divided by its value for two disjoint lists of the same lengths, so 0 is the same list in
the same order and 1 no account in common.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MOST = 16  # interims of one analysis, at most


def schedule(max_groups: int, most: int = MOST) -> tuple[int, ...]:
    """The counts of finished groups at which an interim is ranked: every count up to
    `most` groups, else `most` counts geometric from 1 to `max_groups` (the rounded powers
    of max_groups ** (1 / (most - 1)), without repeats)."""
    if max_groups <= most:
        return tuple(range(1, max_groups + 1))
    ratio = max_groups ** (1 / (most - 1))
    steps = {min(max_groups, math.ceil(ratio**power - 1e-9)) for power in range(most)}
    return tuple(sorted(steps | {max_groups}))


def max_groups(max_followers: int, page: int) -> int:
    """The most groups an analysis can have: one per page of followers."""
    return max(1, math.ceil(max_followers / page))


def overlap_share(overlap: int, followers_analyzed: int) -> float:
    """The interim score: the share of the followers read that follow the candidate."""
    return overlap / followers_analyzed if followers_analyzed > 0 else 0.0


def basis(followers_done: int, followers_in_scope: int) -> float:
    """The share of the audience an interim rests on: the followers of the finished groups
    over the followers in scope (so far, or expected), at most 1."""
    if followers_in_scope <= 0:
        return 1.0
    return round(min(1.0, followers_done / followers_in_scope), 4)


def shared(ranking: Sequence[str], reference: Sequence[str]) -> float:
    """The share of `reference`'s accounts that `ranking` also has (1 for an empty one)."""
    if not reference:
        return 1.0
    return len(set(ranking) & set(reference)) / len(reference)


@dataclass(frozen=True)
class Moved:
    changed: float  # share of the current top that was not in the previous one
    footrule: float  # Fagin's top-k footrule, normalised: 0 the same order, 1 disjoint

    def as_dict(self) -> dict[str, float]:
        return {"changed": round(self.changed, 4), "footrule": round(self.footrule, 4)}


def movement(previous: Sequence[str], current: Sequence[str]) -> Moved:
    """How far `current` (a ranking, best first) moved from `previous`."""
    return Moved(1.0 - shared(previous, current), footrule(previous, current))


def footrule(first: Sequence[str], second: Sequence[str]) -> float:
    """Fagin's footrule between two top-k lists, over its value for two disjoint ones."""
    k = max(len(first), len(second))
    if k == 0:
        return 0.0
    rank_first = {account: rank for rank, account in enumerate(first)}
    rank_second = {account: rank for rank, account in enumerate(second)}
    distance = sum(
        abs(rank_first.get(account, k) - rank_second.get(account, k))
        for account in rank_first.keys() | rank_second.keys()
    )
    disjoint = sum(k - rank for rank in range(len(first))) + sum(
        k - rank for rank in range(len(second))
    )
    return distance / disjoint
