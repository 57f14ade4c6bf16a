"""Fast mode's arithmetic (core.sampling): the sample, the bootstrap, the stopping rule."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindred.core import sampling
from kindred.core.sampling import Action, Candidate, Evidence


def evidence(candidates, audience=1_000, sampled=100, **fields) -> Evidence:
    values = {
        "share": sampled * sampling.SHARE_UNIT // audience,
        "results": 2,
        "top_candidates": 10,
        "calls_per_follower": 1.0,
        "spent": 0,
        "budget": 100_000,
        **fields,
    }
    return Evidence(audience=audience, sampled=sampled, candidates=tuple(candidates), **values)


def test_sample_keys_are_uniform_and_the_same_on_every_call():
    keys = [sampling.sample_key("an1", f"did:plc:{i}") for i in range(20_000)]
    assert keys == [sampling.sample_key("an1", f"did:plc:{i}") for i in range(20_000)]
    assert all(0 <= key < 1 for key in keys)
    assert 0.09 < sum(key < 0.1 for key in keys) / len(keys) < 0.11
    other = [sampling.sample_key("an2", f"did:plc:{i}") for i in range(20_000)]
    assert sum(a < 0.1 and b < 0.1 for a, b in zip(keys, other, strict=True)) < 300  # ~1 %


@given(st.floats(0, 1, exclude_max=True), st.lists(st.integers(0, 10**6), min_size=3, max_size=3))
def test_rounds_partition_the_sample(key, shares):
    low, mid, high = sorted(shares)
    both = sampling.in_round(key, low, mid) + sampling.in_round(key, mid, high)
    assert both == int(sampling.in_round(key, low, high))


@pytest.mark.parametrize(
    ("audience", "share"), [(0, 1.0), (300, 1.0), (4_000, 0.1), (40_000, 0.01), (10**6, 0.01)]
)
def test_the_first_round_reads_400_followers_or_a_hundredth(audience, share):
    assert sampling.first_share(audience) == pytest.approx(share * sampling.SHARE_UNIT, abs=1)


def test_poisson_draws_have_their_mean_and_variance():
    rng = random.Random(3)
    for mean in (0.5, 4.0, 80.0):
        draws = [sampling.poisson(rng, mean) for _ in range(20_000)]
        average = sum(draws) / len(draws)
        variance = sum((d - average) ** 2 for d in draws) / len(draws)
        assert average == pytest.approx(mean, rel=0.05)
        assert variance == pytest.approx(mean, rel=0.1)


def test_the_answer_follows_the_exact_mode_rule():
    # of the 2 most-followed (top_candidates), the best cosine; a tiny account with a high
    # cosine but a small overlap is left out, as the exact mode leaves it out.
    cands = [Candidate("big", 50, 10_000), Candidate("mid", 40, 500), Candidate("tiny", 5, 5)]
    ev = evidence(cands, top_candidates=2, results=1)
    assert sampling.ranked(ev, sampling.estimates(ev)) == [1]
    assert sampling.estimates(ev) == [500.0, 400.0, 5.0]  # X n / s, at most its followers
    assert sampling.score(400.0, 1_000, 500) == pytest.approx(400 / (1_000 * 500) ** 0.5)


def test_no_estimate_or_resample_counts_more_than_a_candidates_followers():
    # "small" is followed by 6 of the 100 sampled (60 of the 1,000 by the sample) but has 20
    # followers: at most 20 of them can be in the audience. Uncapped, its cosine (sqrt(60 /
    # 1,000) = 0.245) would beat "edge"'s (120 / sqrt(1,000 x 300) = 0.219) and take its place.
    cands = [Candidate("top", 40, 400), Candidate("edge", 12, 300), Candidate("small", 6, 20)]
    ev = evidence(cands, results=2, budget=5_000)
    assert sampling.estimates(ev) == [400.0, 120.0, 20.0]
    assert sampling.ranked(ev, sampling.estimates(ev)) == [0, 1]
    members = sampling.membership(ev, random.Random(1))
    assert members[1] > 0.8 > 0.2 > members[2]


def test_verified_candidates_are_settled_and_a_verified_answer_is_certain():
    cands = [Candidate(f"c{i}", 10 * i, 100, overlap=100 * i) for i in range(1, 6)]
    ev = evidence(cands)
    members = sampling.membership(ev, random.Random(1))
    assert set(members) <= {0.0, 1.0}
    decision = sampling.decide(ev, "seed")
    assert (decision.action, decision.confidence) == (Action.FINISH, 1.0)


def test_a_whole_audience_is_exact_and_ends_the_analysis():
    cands = [Candidate(f"c{i}", i, 50) for i in range(1, 30)]
    ev = evidence(cands, audience=100, sampled=100)
    assert set(sampling.membership(ev, random.Random(1))) <= {0.0, 1.0}
    assert sampling.decide(ev, "s").action is Action.FINISH


def test_an_uncertain_boundary_is_verified_cheapest_doubt_first():
    # c1 and c2 are far ahead; c3, c4 close behind each other at the boundary of results=3.
    cands = [
        Candidate("c1", 60, 400),
        Candidate("c2", 55, 400),
        Candidate("c3", 20, 400),
        Candidate("c4", 19, 400),
        Candidate("c5", 2, 5_000_000),  # a celebrity: far below, and too costly to read
    ]
    ev = evidence(cands, results=3, budget=5_000)
    decision = sampling.decide(ev, "seed")
    assert decision.action is Action.VERIFY
    assert set(decision.verify) <= {"c3", "c4"}
    assert decision.calls == 4 * len(decision.verify)  # 400 followers: 4 pages each
    assert decision.confidence < sampling.CONFIDENCE


def test_a_candidate_that_could_not_be_read_is_not_planned_again():
    cands = [Candidate("c1", 60, 400), Candidate("c3", 20, 400, tried=True),
             Candidate("c4", 19, 400)]  # fmt: skip
    ev = evidence(cands, results=2, budget=5_000)
    assert "c3" not in sampling.decide(ev, "seed").verify


def test_the_same_evidence_and_seed_decide_the_same():
    rng = random.Random(5)
    cands = [Candidate(f"c{i}", rng.randrange(1, 40), rng.randrange(40, 4_000)) for i in range(40)]
    ev = evidence(cands, results=10, top_candidates=30)
    assert sampling.decide(ev, "an-3") == sampling.decide(ev, "an-3")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 50_000)), min_size=1, max_size=25),
    st.integers(50, 2_000),
    st.integers(0, 3_000),
)
def test_no_decision_spends_past_what_the_exact_mode_would(pairs, sampled, left):
    cands = [Candidate(f"c{i}", x, fc) for i, (x, fc) in enumerate(pairs)]
    audience = 2_000
    sampled = min(sampled, audience)
    ev = evidence(cands, audience=audience, sampled=sampled, results=3, top_candidates=12,
                  spent=1_000, budget=1_000 + left)  # fmt: skip
    decision = sampling.decide(ev, "seed")
    if decision.action is Action.VERIFY:
        cost = sum(c.cost for c in cands if c.id in decision.verify)
        assert cost <= left and decision.verify
    elif decision.action is Action.SAMPLE:
        grown = decision.share * audience / sampling.SHARE_UNIT
        assert decision.share > ev.share
        assert (min(grown, audience) - sampled) * ev.calls_per_follower <= left + 1e-9
    assert 0.0 <= decision.confidence <= 1.0


def test_a_reading_stopped_out_of_reach_bounds_the_candidate_and_is_not_planned_again():
    # "part" was read in part: 8 of its audience found, at most 30 in all, though the sample
    # says 80 (8 of 100 sampled): no estimate or resample leaves [8, 30], and it is not read again.
    cands = [Candidate("c1", 60, 400), Candidate("part", 8, 900, at_least=8, at_most=30),
             Candidate("c3", 20, 400), Candidate("c4", 19, 400)]  # fmt: skip
    ev = evidence(cands, results=2, budget=5_000)
    assert sampling.estimates(ev)[1] == 30.0
    assert sampling.capped(cands[1], 2.0) == 8.0
    assert cands[1].settled and not Candidate("c", 1, 10).settled
    assert sampling.membership(ev, random.Random(1))[1] == 0.0
    assert "part" not in sampling.decide(ev, "seed").verify


def test_a_verification_may_stop_below_a_share_of_the_answers_last_cosine():
    cands = [Candidate("c1", 60, 400), Candidate("c2", 55, 400), Candidate("c3", 20, 400),
             Candidate("c4", 19, 400)]  # fmt: skip
    ev = evidence(cands, results=3, budget=5_000)
    decision = sampling.decide(ev, "seed")
    assert decision.action is Action.VERIFY
    last = sampling.score(200.0, 1_000, 400)  # c3, the answer's third: 20 x 1,000 / 100
    assert decision.stop_below == pytest.approx(sampling.STOP_MARGIN * last)
    # the least overlap with that cosine, for a candidate of 900 followers:
    needed = sampling.reach(decision.stop_below, 1_000, 900)
    assert sampling.score(needed, 1_000, 900) >= decision.stop_below
    assert sampling.score(needed - 1, 1_000, 900) < decision.stop_below
    assert sampling.reach(0.0, 1_000, 900) == 0
