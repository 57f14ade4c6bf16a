"""Fixed-window arithmetic with the clock passed in, and the headers Bluesky sends."""

from __future__ import annotations

import pytest

from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RatePolicy

pytestmark = pytest.mark.unit

T0 = 1_700_000_000.25


def test_policy_parsing() -> None:
    assert RatePolicy.parse("3000/300") == RatePolicy(3000, 300)
    assert RatePolicy.parse("10") == RatePolicy(10, 300)
    assert not RatePolicy.parse("0").enabled
    assert RatePolicy(3000, 300).header == "3000;w=300"
    for bad in ["", "x", "3/0", "-1/5", "3/4/5"]:
        with pytest.raises(ValueError, match="REQUESTS/SECONDS"):
            RatePolicy.parse(bad)


def test_window_counts_down_then_refuses_until_reset() -> None:
    limiter = FixedWindowLimiter(RatePolicy(3, 10))
    decisions = [limiter.hit("a", T0 + k) for k in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert {d.reset for d in decisions} == {T0 + 10}
    assert decisions[3].retry_after == 7  # ceil(T0 + 10 - (T0 + 3))
    assert limiter.hit("a", T0 + 9.9).allowed is False
    fresh = limiter.hit("a", T0 + 10)
    assert (fresh.allowed, fresh.remaining, fresh.reset) == (True, 2, T0 + 20)


def test_clients_have_their_own_windows() -> None:
    limiter = FixedWindowLimiter(RatePolicy(1, 60))
    assert limiter.hit("a", T0).allowed
    assert not limiter.hit("a", T0 + 1).allowed
    assert limiter.hit("b", T0 + 1).allowed


def test_headers_of_an_allowed_and_a_refused_request() -> None:
    limiter = FixedWindowLimiter(RatePolicy(1, 300))
    assert limiter.hit("a", T0).headers() == {
        "ratelimit-limit": "1",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(T0) + 301),  # epoch seconds, rounded up
        "ratelimit-policy": "1;w=300",
    }
    refused = limiter.hit("a", T0 + 100).headers()
    assert refused["Retry-After"] == "200"
    assert refused["ratelimit-remaining"] == "0"


def test_disabled_limiter_answers_none() -> None:
    limiter = FixedWindowLimiter(RatePolicy.parse("0"))
    assert all(limiter.hit("a", T0 + k) is None for k in range(10_000))


def test_penalty_refuses_for_its_seconds_only() -> None:
    limiter = FixedWindowLimiter(RatePolicy(100, 300))
    first = limiter.penalise("a", 2, T0)
    assert (first.allowed, first.penalised, first.retry_after) == (False, True, 2)
    assert first.headers()["ratelimit-reset"] == str(int(T0) + 3)
    during = limiter.hit("a", T0 + 1.5)
    assert (during.allowed, during.penalised, during.retry_after) == (False, True, 1)
    assert limiter.hit("b", T0 + 1.5).allowed
    assert limiter.hit("a", T0 + 2).allowed


def test_penalty_applies_when_the_window_is_off() -> None:
    limiter = FixedWindowLimiter(RatePolicy(0))
    limiter.penalise("a", 3, T0)
    headers = limiter.hit("a", T0 + 1).headers()
    assert headers["Retry-After"] == "2" and "ratelimit-policy" not in headers
    assert limiter.hit("a", T0 + 3) is None


def test_old_windows_are_pruned() -> None:
    limiter = FixedWindowLimiter(RatePolicy(5, 10))
    for k in range(3000):
        limiter.hit(f"client-{k}", T0 + k)
    assert len(limiter._windows) < 1100
