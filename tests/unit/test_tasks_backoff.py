import pytest

from kindred_infra.tasks_emulator.backoff import RetryPolicy

pytestmark = pytest.mark.unit


def test_the_cloud_tasks_documented_example() -> None:
    policy = RetryPolicy(min_backoff=10, max_backoff=300, max_doublings=3)
    delays = [policy.delay(failures) for failures in range(1, 10)]
    assert delays == [10, 20, 40, 80, 160, 240, 300, 300, 300]


def test_small_backoffs_double() -> None:
    policy = RetryPolicy(min_backoff=0.2, max_backoff=10, max_doublings=5)
    assert [policy.delay(n) for n in (1, 2, 3)] == pytest.approx([0.2, 0.4, 0.8])


def test_no_doublings_grows_linearly() -> None:
    policy = RetryPolicy(min_backoff=1, max_backoff=100, max_doublings=0)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [1, 2, 3, 4]


def test_capped_at_max_backoff() -> None:
    policy = RetryPolicy(min_backoff=1, max_backoff=5, max_doublings=16)
    assert policy.delay(20) == 5


def test_next_attempt_is_now_plus_the_delay() -> None:
    policy = RetryPolicy(max_attempts=5, min_backoff=2, max_backoff=60, max_doublings=4)
    assert policy.next_attempt(attempts=1, first_attempt=100.0, now=100.5) == pytest.approx(102.5)
    assert policy.next_attempt(attempts=3, first_attempt=100.0, now=110.0) == pytest.approx(118.0)


def test_dropped_after_max_attempts_when_there_is_no_age_limit() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.next_attempt(2, first_attempt=0.0, now=1.0) is not None
    assert policy.next_attempt(3, first_attempt=0.0, now=1.0) is None


def test_dropped_after_the_age_limit_when_attempts_are_unlimited() -> None:
    policy = RetryPolicy(max_attempts=-1, max_retry_duration=60)
    assert not policy.exhausted(1000, first_attempt=0.0, now=59.0)
    assert policy.exhausted(1000, first_attempt=0.0, now=60.0)


def test_both_limits_must_be_reached_as_cloud_tasks_documents() -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_duration=60)
    assert not policy.exhausted(3, first_attempt=0.0, now=10.0)  # attempts done, age not
    assert not policy.exhausted(2, first_attempt=0.0, now=100.0)  # age done, attempts not
    assert policy.exhausted(3, first_attempt=0.0, now=60.0)


@pytest.mark.parametrize("max_attempts", [-1, 0])
def test_no_limits_means_forever(max_attempts: int) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, max_retry_duration=0)
    assert not policy.exhausted(10_000, first_attempt=0.0, now=1e9)
