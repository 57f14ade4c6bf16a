"""The benchmarks' numpy computation of the answer (kindred_infra.direct) is the tests' plain
one (tests/support/expected.py), which the pipeline's answer is held equal to."""

from __future__ import annotations

import pytest
from support import expected

from kindred_infra import direct, paths


@pytest.mark.parametrize("case", ["largest, capped", "mid-size"])
def test_the_direct_answer_is_the_expected_one(case):
    account, options = expected.CASES[case]
    options = {**expected.DEFAULTS, **options}
    want = expected.expected(expected.load(), account, options)
    got = direct.answer(expected.graph_arrays(paths.DEFAULT_GRAPH), "ego-twitter", account, options)
    assert got.followers_analyzed == want["followers_analyzed"]
    assert got.popular == want["popular"]
    assert [(s.did, s.overlap, s.followers_count) for s in got.cosine] == [
        (did, shared, followers) for did, _, followers, shared, _ in want["similar"]
    ]
    assert [s.score for s in got.cosine] == pytest.approx([row[4] for row in want["similar"]])
    assert len(got.weighted) == len(got.cosine) and {s.did for s in got.weighted} <= {
        did for did, _ in got.popular
    }


def test_planted_ranks_count_from_one_and_put_the_absent_last():
    scored = [direct.Scored(a, f"d{a}", 1, 1, 0.0) for a in (5, 7, 9)]
    assert direct.planted_ranks(scored, (7, 2)) == [2, 4]
