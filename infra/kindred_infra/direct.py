"""The analysis computed directly from a graph's arrays: the answer the pipeline must give, by
either score, for graphs too large for the tests' plain-dict computation
(tests/support/expected.py, which tests/unit/test_direct_answer.py holds this one equal to).

Followers are taken in the graph server's page order (ascending account number), the first
`max_followers`; each one's follows likewise, the first `max_follows_per_follower`. Ties go by
DID, as the pipeline breaks them. Written without kindred.core: numpy over the edge arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kindred_infra.graph_server.graph import Graph
from kindred_infra.graph_server.identity import Identity


@dataclass(frozen=True)
class Scored:
    account: int  # the graph's original id
    did: str
    overlap: int
    followers_count: int
    score: float


@dataclass(frozen=True)
class Answer:
    followers_analyzed: int
    popular: list[tuple[str, int]]  # (did, overlap) of the top_candidates most followed
    cosine: list[Scored]  # the `results` best by the plain cosine
    weighted: list[Scored]  # the same by the weighted one (1 / follows per follower)


def answer(graph: Graph, dataset: str, account: int, options: Mapping[str, int | str]) -> Answer:
    """The exact mode's answer for `account` (an original id) under the analysis's options."""
    ids = Identity(dataset)
    target = graph.index_of(account)
    if target is None:
        raise ValueError(f"account {account} is not in the graph")
    audience = graph.followers(target)[: int(options["max_followers"])]
    cap = int(options["max_follows_per_follower"])
    lists = [graph.follows(int(f))[:cap] for f in audience]
    sizes = np.array([len(x) for x in lists], dtype=np.float64)
    followed = np.concatenate(lists) if lists else np.empty(0, np.int32)
    weights = 1.0 / np.maximum(sizes, 1.0)
    overlap = np.bincount(followed, minlength=graph.nodes)
    votes = np.bincount(followed, weights=np.repeat(weights, sizes.astype(np.int64)),
                        minlength=graph.nodes)  # fmt: skip
    overlap[target] = 0
    norm = float(np.sum(weights**2))
    did = {int(i): ids.did(int(graph.ids[i])) for i in _at_least_kth(overlap, options)}
    popular = sorted(did, key=lambda i: (-overlap[i], did[i]))[: int(options["top_candidates"])]
    counts = {i: graph.followers_count(i) for i in popular}
    analysed = len(audience)

    def scored(score: dict[int, float]) -> list[Scored]:
        best = sorted(popular, key=lambda i: (-score[i], -overlap[i], did[i]))
        return [
            Scored(int(graph.ids[i]), did[i], int(overlap[i]), counts[i], score[i])
            for i in best[: int(options["results"])]
        ]

    cosine = {i: overlap[i] / math.sqrt(analysed * max(counts[i], overlap[i])) for i in popular}
    weighted = {
        i: votes[i] / math.sqrt(norm * max(counts[i], overlap[i])) if norm else 0.0 for i in popular
    }
    return Answer(
        analysed, [(did[i], int(overlap[i])) for i in popular], scored(cosine), scored(weighted)
    )


def _at_least_kth(overlap: np.ndarray, options: Mapping[str, int | str]) -> np.ndarray:
    """The accounts whose overlap is positive and at least the top_candidates-th largest:
    the only ones ties by DID can bring into the most followed."""
    positive = np.nonzero(overlap)[0]
    k = int(options["top_candidates"])
    if positive.size <= k:
        return positive
    kth = np.partition(overlap[positive], positive.size - k)[positive.size - k]
    return positive[overlap[positive] >= kth]


def planted_ranks(scored: list[Scored], planted: tuple[int, ...]) -> list[int]:
    """Each planted account's rank in `scored` (1 = first); len(scored) + 1 when absent."""
    place = {s.account: rank for rank, s in enumerate(scored, 1)}
    return [place.get(account, len(scored) + 1) for account in planted]
