"""Choosing candidates and scoring them: the arithmetic of the analysis, nothing else."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kindred.core.accounts import AccountProfile
from kindred.core.weights import UNIT, is_weight


@dataclass(frozen=True)
class Popular:
    """An account followed by `overlap` of the target's analysed followers."""

    id: str
    overlap: int


@dataclass(frozen=True)
class Similar:
    id: str
    handle: str
    display_name: str
    followers_count: int
    overlap: int
    score: float
    avatar: str | None = None
    weighted: float | None = None  # W(c), the weighted score's sum of weights (core.weights)


@dataclass(frozen=True)
class Weighted:
    """The weighted score's sums, in core.weights.UNITs: W of each candidate, and N."""

    sums: Mapping[str, int]
    norm: int


def top_popular(counts: Iterable[tuple[str, int]], k: int, exclude: str) -> list[Popular]:
    """The k most-followed accounts, `exclude` (the target) left out; ties by id, ascending.
    The weighted score's sums, which share the tally (core.weights), are no accounts.

    Streams: holds k entries whatever the number of accounts counted.
    """
    best = heapq.nsmallest(
        k,
        (
            (-count, key)
            for key, count in counts
            if key != exclude and count > 0 and not is_weight(key)
        ),
    )
    return [Popular(key, -negative) for negative, key in best]


def cosine(overlap: int, followers_analyzed: int, followers_count: int) -> float:
    """`overlap / sqrt(F * followers_count)`: cosine similarity of the two follower sets."""
    if overlap <= 0 or followers_analyzed <= 0 or followers_count <= 0:
        return 0.0
    return overlap / math.sqrt(followers_analyzed * followers_count)


def weighted_cosine(weighted: float, norm: float, followers_count: int) -> float:
    """`W / sqrt(N * followers_count)`: the selectivity-weighted cosine (core.weights)."""
    if weighted <= 0 or norm <= 0 or followers_count <= 0:
        return 0.0
    return weighted / math.sqrt(norm * followers_count)


def rank_similar(
    popular: Sequence[Popular],
    profiles: dict[str, AccountProfile],
    followers_analyzed: int,
    limit: int,
    weighted: Weighted | None = None,
) -> list[Similar]:
    """Score each candidate whose profile is known; best first, ties by overlap, then id.
    With `weighted`, the score is the weighted cosine; else the plain one.

    A profile that reports fewer followers than the overlap we counted (a stale count) is
    scored with the overlap instead, so no score exceeds 1.
    """
    scored = []
    for candidate in popular:
        profile = profiles.get(candidate.id)
        if profile is None:
            continue
        followers = max(profile.followers_count, candidate.overlap)
        votes = None
        if weighted is None:
            score = cosine(candidate.overlap, followers_analyzed, followers)
        else:
            votes = weighted.sums.get(candidate.id, 0) / UNIT
            score = weighted_cosine(votes, weighted.norm / UNIT, followers)
        scored.append(
            Similar(
                profile.id,
                profile.handle,
                profile.display_name,
                profile.followers_count,
                candidate.overlap,
                score,
                profile.avatar,
                votes,
            )
        )
    scored.sort(key=lambda s: (-s.score, -s.overlap, s.id))
    return scored[:limit]
