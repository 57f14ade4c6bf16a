"""The selectivity-weighted score (option `score: "weighted"`): a follower's vote counts for
less the more accounts it follows (docs/decisions/0010-fast-mode.md).

A follower f who follows d_f accounts (those read: at most `max_follows_per_follower`) has the
weight w_f = 1 / d_f, the resource-allocation weight of Zhou, Lü and Zhang ("Predicting
missing links via local information", 2009), where a common neighbour of degree d passes
each of the two nodes 1/d of its resource; Adamic and Adar's 1/log(d) (2003) is its gentler
relative. The score of a candidate c is

    score = W(c) / sqrt(N * followers_count(c)),   W(c) = sum of w_f over the analysed
                                                   followers f who follow c,
                                                   N = sum of w_f ** 2 over all of them:

the cosine between the target's audience weighted by selectivity (w_f for each analysed
follower) and the candidate's plain follower set (nobody reads its followers' follows
counts). With every weight 1 it is the plain cosine, overlap / sqrt(F * followers_count).

The sums ride in the follows chains' tally beside the counts, as integers in UNITs under the
key PREFIX + account (and NORM for N), so they are carried, spilled and merged as the counts
are, exactly and in any order. A follower's weight is known once its last follows page is
read: the accounts of its earlier pages wait in a `pending` tally until then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kindred.core.tally import Tally

PREFIX = "~"  # no account id starts with it (DIDs start "did:", handles with a letter or digit)
NORM = PREFIX  # the key of N, the sum of the squared weights
UNIT = 10**12  # weights are summed in these: 1 / 100,000 squared is still 10,000 of them


def weight(follows: int) -> float:
    """w = 1 / d, for a follower who follows d accounts (at least 1: it follows the target)."""
    return 1.0 / max(follows, 1)


def credit(counts: Tally, pending: Mapping[str, int], follows: int) -> None:
    """Add one follower's weighted votes (`pending`: each account it follows, how often it
    came) and its squared weight, to the tally."""
    w = weight(follows)
    unit = round(w * UNIT)
    for account, times in pending.items():
        counts[PREFIX + account] += unit * times
    counts[NORM] += round(w * w * UNIT)


def is_weight(key: str) -> bool:
    return key.startswith(PREFIX)


def pick(merged: Iterable[tuple[str, int]], ids: Iterable[str]) -> tuple[dict[str, int], int]:
    """(W of each of `ids`, N) in UNITs, from a merged tally stream."""
    wanted = {PREFIX + account for account in ids}
    sums, norm = {}, 0
    for key, value in merged:
        if key == NORM:
            norm = value
        elif key in wanted:
            sums[key[len(PREFIX) :]] = value
    return sums, norm
