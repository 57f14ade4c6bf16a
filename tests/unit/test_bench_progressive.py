"""The progressive-results bench's arithmetic: each interim placed on the crawl by the calls
started before it, and the agreement read off at a share of the calls."""

from __future__ import annotations

from bench.progressive import _first, agreement_at, place

RESULT = {
    "followers_in_scope": 400,
    "similar": [{"id": account} for account in ("a", "b", "c", "d")],
    "popular": [{"id": account} for account in ("b", "e", "a", "f")],
}


def interim_doc(step: int, at: float, ids: list[str], followers: int) -> dict:
    return {
        "step": step,
        "groups": step,
        "followers": followers,
        "at": at,
        "results": [{"id": account, "overlap": 1} for account in ids],
        "cost": {"firestore_writes": 1},
    }


def test_each_interim_is_placed_by_the_calls_started_before_it():
    starts = [float(second) for second in range(10)]  # ten calls, one a second
    stored = [
        interim_doc(2, at=7.5, ids=["a", "b", "x", "y"], followers=200),
        interim_doc(1, at=3.0, ids=["x", "e", "y", "z"], followers=100),
    ]
    first, second = place(stored, starts, RESULT)
    assert (first.step, first.calls_share, first.basis) == (1, 0.4, 0.25)  # 0 to 3 started
    assert (first.agreement, first.agreement_popular) == (0.0, 0.25)
    assert (second.calls_share, second.agreement, second.agreement_popular) == (0.8, 0.5, 0.5)
    assert agreement_at([first, second], 0.3) == 0.0  # none ranked yet
    assert agreement_at([first, second], 0.5, popular=True) == 0.25
    assert agreement_at([first, second], 0.9) == 0.5


def test_the_offline_curves_take_the_first_followers_whose_calls_fit():
    calls = {1: 1, 2: 3, 3: 1}
    assert _first([1, 2, 3], calls, 4) == [1, 2]
    assert _first([1, 2, 3], calls, 3.5) == [1]  # the second does not fit, and order is kept
    assert _first([1, 2, 3], calls, 0) == []
