"""The pipeline's answer equals the one computed directly from the edge list, and it spends
exactly the minimum of upstream calls, as the graph server counts them."""

from __future__ import annotations

import math

import pytest
from support import expected
from support.api import analyse, call
from support.expected import CASES, DEFAULTS, minimum_calls

from kindred.core import interim


@pytest.fixture(scope="module")
def edge_list():
    return expected.load()


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_result_equals_the_direct_computation(fast_stack, edge_list, case):
    account, options = CASES[case]
    options = {**DEFAULTS, **options}
    stats_before = graph_stats(fast_stack)
    result = analyse(fast_stack, f"u{account}.ego-twitter.test", options)
    want = expected.expected(edge_list, account, options)

    expected.assert_same_answer(result, want)

    spent = graph_stats(fast_stack)["requests"] - stats_before["requests"]
    assert result["cost"]["upstream_calls"] == minimum_calls(account, options) == spent
    groups = math.ceil(want["followers_analyzed"] / 100)
    # One write per interim (services/progressive.py), at most MOST; the checkpoints none.
    assert result["cost"]["firestore_writes"] <= 7 + groups + interim.MOST


def graph_stats(stack: dict) -> dict:
    return call("GET", stack["KINDRED_GRAPH_URL"] + "/_stats")[1]
