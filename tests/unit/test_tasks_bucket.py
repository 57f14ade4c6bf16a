import pytest

from kindred_infra.tasks_emulator.bucket import TokenBucket

pytestmark = pytest.mark.unit


def test_starts_full_so_a_burst_goes_out_at_once() -> None:
    bucket = TokenBucket.full(rate=1.0, capacity=10, now=100.0)
    assert sum(bucket.take(100.0) for _ in range(12)) == 10


def test_refills_at_the_rate() -> None:
    bucket = TokenBucket.full(rate=5.0, capacity=1, now=0.0)
    assert bucket.take(0.0)
    assert not bucket.take(0.1)
    assert bucket.wait(0.1) == pytest.approx(0.1)
    assert bucket.take(0.2)


def test_never_holds_more_than_the_capacity() -> None:
    bucket = TokenBucket.full(rate=100.0, capacity=3, now=0.0)
    assert bucket.available(1000.0) == 3


def test_a_steady_rate_over_time() -> None:
    bucket = TokenBucket.full(rate=5.0, capacity=1, now=0.0)
    taken = [t / 100 for t in range(0, 500) if bucket.take(t / 100)]
    assert len(taken) == 25  # 1 at t=0, then one every 0.2 s up to 4.8 s
    assert taken[-1] == pytest.approx(4.8)


def test_wait_is_zero_with_a_token_and_sized_to_the_deficit_without() -> None:
    bucket = TokenBucket.full(rate=2.0, capacity=2, now=0.0)
    assert bucket.wait(0.0) == 0.0
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(0.5)


def test_time_going_backwards_changes_nothing() -> None:
    bucket = TokenBucket.full(rate=1.0, capacity=1, now=10.0)
    bucket.take(10.0)
    assert bucket.available(5.0) == 0
    assert bucket.available(11.0) == 1


def test_reshape_keeps_the_tokens_but_not_above_the_new_capacity() -> None:
    bucket = TokenBucket.full(rate=1.0, capacity=10, now=0.0)
    bucket.reshape(rate=50.0, capacity=4, now=0.0)
    assert bucket.available(0.0) == 4
    for _ in range(4):
        bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(0.02)


def test_zero_capacity_still_lets_one_through() -> None:
    assert TokenBucket.full(rate=1.0, capacity=0, now=0.0).available(0.0) == 1
