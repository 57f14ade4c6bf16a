"""Interim rankings: what an analysis has found so far, while its crawl runs.

Every group's chain reads its followers' follows side by side with the others, so the
followers read so far are a sample of every group at once. Four small pieces of arithmetic
decide when a chain leaves its tally where an interim can read it, when to rank, and what to
say of it:

- `checkpoints`: after how many of its followers a chain leaves its tally in Cloud Storage:
  1/16, 1/8, 1/4, 1/2 and 3/4 of them (each doubles the chain's sample, then halves what is
  left to read; five per chain whatever its length, none at its end, which its group record
  covers);
- `step_to_ask`: the steps of the crawl at which an interim is ranked, `STEPS`, geometric
  (dense early, where the ranking moves most) and at most MOST of them, so the interims'
  Firestore writes are bounded whatever the size of the analysis. A step is a round of the
  upstream queue, judged by each chain from its own place (`position`), so reaching one costs
  no read;
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
CHECKPOINTS = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4)  # shares of a chain's followers
FIRST_STEP = 8  # rounds: about the first checkpoint of a chain of 100 followers
RATIO = math.sqrt(2)  # between two steps: the followers read about double, early on


def ladder(first: int = FIRST_STEP, ratio: float = RATIO, most: int = MOST) -> tuple[int, ...]:
    """`most` rounds geometric from `first` by `ratio`, rounded up, without repeats."""
    return tuple(sorted({math.ceil(first * ratio**power - 1e-9) for power in range(most)}))


STEPS = ladder()  # 8, 12, 16, 23, 32, 46, 64, 91, 128, 182, 256, 363, 512, 725, 1024, 1449


def checkpoints(followers: int) -> frozenset[int]:
    """The counts of its followers done after which a chain over `followers` leaves its
    tally: ceil(share * followers) for each of CHECKPOINTS, short of them all."""
    return frozenset(
        done for share in CHECKPOINTS if 0 < (done := math.ceil(share * followers)) < followers
    )


def position(group: int, calls: int) -> int:
    """How far the crawl has come, as the chain of `group` sees it after `calls` of its own.

    The queue serves due tasks oldest first and every chain has one task on it at a time, so
    the crawl goes in rounds, a page of each chain and of the followers each; the followers
    page of `group` starts its chain in round `group`, so its call `calls` is in round
    group + calls, the round every other chain is in then too.
    """
    return group + calls


def step_to_ask(group: int, calls: int) -> int | None:
    """The last step of STEPS that the crawl has reached (`position`), if the chain of `group`
    can be the first to reach it (a step before its start was reached by an earlier one)."""
    reached = [step for step in STEPS if step <= position(group, calls)]
    return reached[-1] if reached and reached[-1] > group else None


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
