"""Choosing candidates and scoring them: the arithmetic of the analysis, nothing else."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kindred.core.accounts import AccountProfile


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


def top_popular(counts: Iterable[tuple[str, int]], k: int, exclude: str) -> list[Popular]:
    """The k most-followed accounts, `exclude` (the target) left out; ties by id, ascending.

    Streams: holds k entries whatever the number of accounts counted.
    """
    best = heapq.nsmallest(
        k, ((-count, key) for key, count in counts if key != exclude and count > 0)
    )
    return [Popular(key, -negative) for negative, key in best]


def cosine(overlap: int, followers_analyzed: int, followers_count: int) -> float:
    """`overlap / sqrt(F * followers_count)`: cosine similarity of the two follower sets."""
    if overlap <= 0 or followers_analyzed <= 0 or followers_count <= 0:
        return 0.0
    return overlap / math.sqrt(followers_analyzed * followers_count)


def rank_similar(
    popular: Sequence[Popular],
    profiles: dict[str, AccountProfile],
    followers_analyzed: int,
    limit: int,
) -> list[Similar]:
    """Score each candidate whose profile is known; best first, ties by overlap, then id.

    A profile that reports fewer followers than the overlap we counted (a stale count) is
    scored with the overlap instead, so no score exceeds 1.
    """
    scored = []
    for candidate in popular:
        profile = profiles.get(candidate.id)
        if profile is None:
            continue
        followers = max(profile.followers_count, candidate.overlap)
        score = cosine(candidate.overlap, followers_analyzed, followers)
        scored.append(
            Similar(
                profile.id,
                profile.handle,
                profile.display_name,
                profile.followers_count,
                candidate.overlap,
                score,
                profile.avatar,
            )
        )
    scored.sort(key=lambda s: (-s.score, -s.overlap, s.id))
    return scored[:limit]
