"""Fast mode's arithmetic: which followers are sampled, what the sample says of each candidate
and how sure it is, and what to read next (docs/decisions/0010-fast-mode.md).

- The sample: a follower is in it up to share q when its key, a hash of the analysis and the
  follower, is below q. That is a uniform sample, the same on every delivery, and it grows by
  raising q: a later round reads the followers whose keys lie between the old q and the new.
- The estimate: a candidate followed by X of the s followers sampled (of the n in scope) has
  an overlap of about X n / s; a verified candidate (its own followers read and intersected
  with the target's) has its exact overlap. Scores are the exact mode's cosine of either.
- The uncertainty: a Poisson bootstrap (each sampled follower drawn Poisson(1) times, so a
  count X is redrawn as Poisson(X)), shrunk by the finite-population factor sqrt(1 - s/n),
  each candidate drawn on its own. Each resample is ranked by the exact mode's rule (the
  `top_candidates` most-followed, then the `results` best scores among those); a candidate's
  `membership` is the share of resamples that put it in the top `results`, and the
  `confidence` of an answer is the mean membership of its accounts: the share of it that is
  expected to be right.
- The rule (`decide`): stop once the confidence reaches CONFIDENCE; else read what settles the
  most uncertainty for the fewest upstream calls, by the counts in the candidates' profiles:
  a candidate's own followers (ceil(followers / 100) calls, and it is settled), or a larger
  sample (GROWTH times it, at the calls per follower measured so far, narrowing every
  estimate at once). Never past what the exact mode would spend in all.
- The early stop: a verification may stop reading once what it found and what is left
  unread cannot reach STOP_MARGIN of the answer's last cosine (`Decision.stop_below`); the
  candidate is then bounded (`at_least`, `at_most`), not exact, and out of the answer.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

PAGE = 100  # accounts per followers page: a verification reads ceil(followers / PAGE) pages
SHARE_UNIT = 1_000_000  # sample shares travel as parts per million
DRAWS = 200  # bootstrap resamples per decision
CONFIDENCE = 0.98  # the expected share of the answer that is right, to stop at
FIRST_SAMPLE = 400  # followers in the first round at least (an eighth of a 3,000-follower audience)
FIRST_SHARE = 0.01  # and at least this share of the audience
GROWTH = 2.0  # a sampling round multiplies the sample by this
CANDIDATE_FACTOR = 1.25  # candidates kept: this many times `top_candidates`, by the first sample
SETTLED = 0.001  # a membership this close to 0 or 1 needs no reading
VERIFY_SHARE = 1.0  # a verification round reads this share of the plan (at least one candidate)
STOP_MARGIN = 0.85  # a verification stops once its cosine cannot reach this share of the cut


def first_calls(audience: int, top_candidates: int, per_follower: float, page: int,
                batch: int) -> int:  # fmt: skip
    """The calls fast mode makes before its first decision: the lookup, the followers pages,
    the first round's follows, the candidates' profiles."""
    sampled = audience * first_share(audience) / SHARE_UNIT
    candidates = math.ceil(top_candidates * CANDIDATE_FACTOR)
    return (
        1 + math.ceil(audience / page) + math.ceil(sampled * per_follower)
        + math.ceil(candidates / batch)
    )  # fmt: skip


def sample_key(analysis: str, follower: str) -> float:
    """A follower's place in the analysis's sample, uniform in [0, 1)."""
    digest = hashlib.blake2b(f"{analysis}/{follower}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def in_round(key: float, low: int, high: int) -> bool:
    """Whether a follower of this key joins the round that grows the share from low to high
    (parts per million)."""
    return low <= key * SHARE_UNIT < high


def first_share(audience: int) -> int:
    """The first round's share of the audience, in parts per million."""
    if audience <= 0:
        return SHARE_UNIT
    share = max(FIRST_SAMPLE / audience, FIRST_SHARE)
    return min(SHARE_UNIT, math.ceil(share * SHARE_UNIT))


def grown_share(share: int) -> int:
    return min(SHARE_UNIT, math.ceil(share * GROWTH))


def verify_cost(followers_count: int, page: int = PAGE) -> int:
    """Upstream calls to read a candidate's followers, `page` a call."""
    return max(1, math.ceil(followers_count / max(page, 1)))


@dataclass(frozen=True)
class Candidate:
    id: str
    sampled: int  # X: sampled followers who follow it
    followers_count: int  # from its profile
    overlap: int | None = None  # exact, once verified
    tried: bool = False  # its followers could not be read: never planned again
    page: int = PAGE  # the upstream's largest followers page
    at_least: int = 0  # read in part (stopped out of reach): the overlap found so far
    at_most: int | None = None  # and that plus the followers left unread; never planned again

    @property
    def settled(self) -> bool:
        """Nothing more will be read of it: verified, bounded, or unreadable."""
        return self.overlap is not None or self.at_most is not None or self.tried

    @property
    def cost(self) -> int:
        return verify_cost(self.followers_count, self.page)


@dataclass(frozen=True)
class Evidence:
    """What fast mode has read so far, for one decision."""

    audience: int  # n: followers in scope
    sampled: int  # s: sampled followers whose follows were counted
    share: int  # the sample's share so far, parts per million
    candidates: tuple[Candidate, ...]
    results: int  # K
    top_candidates: int  # T
    calls_per_follower: float  # follows pages per sampled follower, as measured
    spent: int  # upstream calls so far
    budget: int  # what the exact mode would spend in all (estimated): never more


class Action(Enum):
    SAMPLE = "sample"  # grow the sample to `share`
    VERIFY = "verify"  # read the followers of `verify`
    FINISH = "finish"  # the answer is the ranking of the evidence


@dataclass(frozen=True)
class Decision:
    action: Action
    confidence: float
    share: int = 0  # SAMPLE: the new share, parts per million
    verify: tuple[str, ...] = ()  # VERIFY: the candidates' ids
    reason: str = ""  # in words, for the log and the result
    calls: int = 0  # the upstream calls it is expected to make (the progress shown)
    stop_below: float = 0.0  # VERIFY: a cosine; a reading may stop once it cannot reach it


def estimates(evidence: Evidence) -> list[float]:
    """Each candidate's overlap: exact when verified, else X n / s, at most its followers."""
    scale = evidence.audience / evidence.sampled if evidence.sampled else 0.0
    return [
        float(c.overlap) if c.overlap is not None else capped(c, c.sampled * scale)
        for c in evidence.candidates
    ]


def capped(candidate: Candidate, overlap: float) -> float:
    """No more of the audience can follow a candidate than all its followers (its profile's
    count; a verification that finds more keeps what it found), nor more than a reading
    stopped out of reach left possible, nor less than it found."""
    ceiling = max(candidate.followers_count, candidate.sampled)
    if candidate.at_most is not None:
        ceiling = candidate.at_most
    return max(float(candidate.at_least), min(overlap, float(ceiling)))


def reach(cosine: float, audience: int, followers_count: int) -> int:
    """The least overlap whose cosine reaches `cosine` (0: any)."""
    if cosine <= 0:
        return 0
    return math.ceil(cosine * math.sqrt(max(audience, 0) * max(followers_count, 0)))


def ranked(evidence: Evidence, overlaps: Sequence[float], floor: float | None = None) -> list[int]:
    """Indices of the answer by the exact mode's rule: of the `top_candidates` largest
    overlaps (ties by id), the `results` best cosines (ties by overlap, then id). With
    `floor`, the overlaps at least that large stand for the `top_candidates` largest."""
    cands = evidence.candidates
    if floor is None:
        popular = sorted(
            (i for i in range(len(cands)) if overlaps[i] > 0),
            key=lambda i: (-overlaps[i], cands[i].id),
        )[: evidence.top_candidates]
    else:
        popular = [i for i in range(len(cands)) if overlaps[i] > 0 and overlaps[i] >= floor]

    def scored(i: int) -> float:
        return score(overlaps[i], evidence.audience, cands[i].followers_count)

    popular.sort(key=lambda i: (-scored(i), -overlaps[i], cands[i].id))
    return popular[: evidence.results]


def score(overlap: float, audience: int, followers_count: int) -> float:
    """The exact mode's cosine of an overlap, estimated or not (a stale followers count below
    the overlap counts as the overlap)."""
    if overlap <= 0 or audience <= 0:
        return 0.0
    return overlap / math.sqrt(audience * max(followers_count, overlap))


def membership(evidence: Evidence, rng: random.Random, shrink: float = 1.0) -> list[float]:
    """Each candidate's share of the bootstrap resamples that rank it in the answer.

    `shrink` scales the noise: sqrt(s / s') for a projection of what a sample of s' would
    say (its finite-population factor included by the caller)."""
    n, s = evidence.audience, evidence.sampled
    if s <= 0:
        return [0.0] * len(evidence.candidates)
    spread = math.sqrt(max(0.0, 1.0 - s / n)) * shrink if n else 0.0
    scale = n / s
    floor = cut(evidence)
    hits = [0] * len(evidence.candidates)
    for _ in range(DRAWS):
        overlaps = [
            float(c.overlap)
            if c.overlap is not None
            else capped(
                c, max(0.0, c.sampled + spread * (poisson(rng, c.sampled) - c.sampled)) * scale
            )
            for c in evidence.candidates
        ]
        for i in ranked(evidence, overlaps, floor):
            hits[i] += 1
    return [h / DRAWS for h in hits]


def cut(evidence: Evidence) -> float:
    """The `top_candidates`-th largest overlap as estimated (0 with no more candidates than
    that): a resample's candidates are those at or above it, so that the cut, which the
    exact mode makes on exact overlaps, moves with the estimates and the verifications, not
    with each resample's noise."""
    overlaps = sorted(estimates(evidence), reverse=True)
    if len(overlaps) <= evidence.top_candidates:
        return 0.0
    return overlaps[evidence.top_candidates - 1]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: Knuth's product of uniforms below 30, a rounded normal above."""
    if mean <= 0:
        return 0
    if mean >= 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def confidence(answer: Sequence[int], members: Sequence[float]) -> float:
    """The expected share of the answer that the exact mode would give too."""
    if not answer:
        return 1.0
    return sum(members[i] for i in answer) / len(answer)


def plan(evidence: Evidence, members: Sequence[float], answer: Sequence[int]) -> list[int]:
    """The candidates to verify, most uncertainty settled per call first, until the expected
    misses would fall to what CONFIDENCE allows; [] if they cannot."""
    allowed = (1 - CONFIDENCE) * len(answer)
    misses = sum(1 - members[i] for i in answer)
    open_ = [
        i
        for i, c in enumerate(evidence.candidates)
        if not c.settled and SETTLED < members[i] < 1 - SETTLED
    ]
    open_.sort(key=lambda i: (-_doubt(members[i]) / evidence.candidates[i].cost, i))
    chosen = []
    for i in open_:
        if misses <= allowed:
            break
        chosen.append(i)
        misses -= _doubt(members[i])
    return chosen if misses <= allowed + 1e-9 else []


def _doubt(member: float) -> float:
    return min(member, 1 - member)


def cost_of(evidence: Evidence, chosen: Sequence[int]) -> int:
    return sum(evidence.candidates[i].cost for i in chosen)


def decide(evidence: Evidence, seed: str) -> Decision:
    """What to read next; the same evidence and seed always give the same decision."""
    rng = random.Random(hashlib.blake2b(seed.encode(), digest_size=8).digest())
    members = membership(evidence, rng)
    answer = ranked(evidence, estimates(evidence))
    sure = confidence(answer, members)
    if sure >= CONFIDENCE or evidence.sampled >= evidence.audience:
        return Decision(Action.FINISH, sure, reason="confident")
    left = evidence.budget - evidence.spent
    rest = (evidence.audience - evidence.sampled) * evidence.calls_per_follower
    chosen = plan(evidence, members, answer)
    verify = cost_of(evidence, chosen) if chosen else math.inf
    grown = _grown(evidence, rng)
    if grown is not None:
        share, sample_cost, then_verify = grown
        if sample_cost + then_verify < min(verify, rest) and sample_cost <= left:
            return Decision(
                Action.SAMPLE, sure, share=share, reason="a larger sample is cheaper",
                calls=math.ceil(sample_cost),
            )  # fmt: skip
    if chosen and verify <= left and verify < rest:
        batch = _batch(evidence, chosen)
        return Decision(
            Action.VERIFY, sure, verify=tuple(evidence.candidates[i].id for i in batch),
            reason="reading candidates' followers is cheaper", calls=cost_of(evidence, batch),
            stop_below=STOP_MARGIN * _last_score(evidence, answer),
        )  # fmt: skip
    if rest <= left:  # the whole audience: the exact answer, for no more than the exact mode
        return Decision(
            Action.SAMPLE, sure, share=SHARE_UNIT, reason="the whole audience",
            calls=math.ceil(rest),
        )  # fmt: skip
    return Decision(Action.FINISH, sure, reason="budget")


def _last_score(evidence: Evidence, answer: Sequence[int]) -> float:
    """The estimated cosine at the answer's cut (0 while the answer is not full)."""
    if len(answer) < evidence.results:
        return 0.0
    last = answer[-1]
    overlap = estimates(evidence)[last]
    return score(overlap, evidence.audience, evidence.candidates[last].followers_count)


def _grown(evidence: Evidence, rng: random.Random) -> tuple[int, float, float] | None:
    """(share, its sampling calls, then the verification plan's calls) for the next round."""
    if evidence.share >= SHARE_UNIT:
        return None
    share = grown_share(evidence.share)
    n, s = evidence.audience, evidence.sampled
    bigger = min(n, s * share / max(evidence.share, 1))
    if bigger <= s:
        return None
    before, after = 1.0 - s / n, 1.0 - bigger / n
    shrink = math.sqrt(s / bigger * after / before) if before > 0 else 0.0
    members = membership(evidence, rng, shrink)
    answer = ranked(evidence, estimates(evidence))
    sample_cost = (bigger - s) * evidence.calls_per_follower
    if confidence(answer, members) >= CONFIDENCE:
        return share, sample_cost, 0.0
    chosen = plan(evidence, members, answer)
    return share, sample_cost, float(cost_of(evidence, chosen)) if chosen else math.inf


def _batch(evidence: Evidence, chosen: Sequence[int]) -> list[int]:
    """The first VERIFY_SHARE of the plan's calls (one candidate at least): the rest is
    decided again with what these say."""
    budget = VERIFY_SHARE * cost_of(evidence, chosen)
    batch: list[int] = []
    spent = 0
    for i in chosen:
        if batch and spent + evidence.candidates[i].cost > budget:
            break
        batch.append(i)
        spent += evidence.candidates[i].cost
    return batch
