"""The one retry rule, and the queue settings it relies on."""

from __future__ import annotations

import pytest

from kindred.core.errors import FailedForGood, NotFound, RetryLater, StoreUnavailable
from kindred.core.retry import GIVE_UP_AFTER, MAX_WAITS, Action, decide
from kindred_infra import paths, queue_config


def test_a_rate_limit_window_is_waited_out_then_left_to_the_queue():
    window = RetryLater("429", retry_at=1_900_000_000.0)
    assert decide(window, attempt=0).action is Action.WAIT
    assert decide(window, attempt=0).at == 1_900_000_000.0
    assert decide(window, attempt=0, waits=MAX_WAITS).action is Action.RETRY
    assert decide(window, attempt=GIVE_UP_AFTER, waits=MAX_WAITS).action is Action.GIVE_UP


def test_a_passing_failure_is_retried_until_the_give_up_count():
    failing = RetryLater("503")
    assert [decide(failing, attempt).action for attempt in range(GIVE_UP_AFTER + 1)] == [
        *[Action.RETRY] * GIVE_UP_AFTER,
        Action.GIVE_UP,
    ]
    assert decide(failing, GIVE_UP_AFTER).reason == "upstream_error"


def test_what_no_retry_mends_is_given_up_at_once_with_its_reason():
    assert decide(FailedForGood("private", "private"), 0).reason == "private"
    assert decide(NotFound("gone"), 0).action is Action.GIVE_UP
    assert decide(NotFound("gone"), 0).reason == "not_found"


@pytest.mark.parametrize("queue", queue_config.load(paths.QUEUE_YAML), ids=lambda q: q.name)
def test_every_queue_delivers_a_failing_task_once_more_than_the_rule_gives_up_after(queue):
    # The step gives up on the delivery that follows GIVE_UP_AFTER failed ones; a queue that
    # stopped before it would drop the task with nothing recorded.
    assert queue.retry.task_retry_limit is not None
    assert queue.retry.task_retry_limit >= GIVE_UP_AFTER + 1


def test_an_unanswering_store_is_retried_never_given_up():
    outage = StoreUnavailable("the job store did not answer")
    assert decide(outage, attempt=GIVE_UP_AFTER * 10).action is Action.RETRY
