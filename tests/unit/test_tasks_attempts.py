import pytest
from google.cloud import tasks_v2

from kindred_infra.tasks_emulator import attempts, tasks
from kindred_infra.tasks_emulator.attempts import Attempt
from kindred_infra.tasks_emulator.backoff import RetryPolicy
from kindred_infra.tasks_emulator.delivery import Outcome

pytestmark = pytest.mark.unit

QUEUE = "projects/p/locations/l/queues/q"
POLICY = RetryPolicy(max_attempts=3, min_backoff=1.0, max_backoff=10.0, max_doublings=2)


def fresh_task() -> tasks_v2.Task:
    task = tasks_v2.Task(name=f"{QUEUE}/tasks/t", http_request={"url": "http://h/"})
    return tasks.prepare_new(QUEUE, task, 100.0)


def test_a_success_finishes_the_task() -> None:
    result = attempts.settle(Attempt(fresh_task(), POLICY, True), Outcome(204), 100.0, 100.5)
    assert (result.retry_at, result.dropped) == (None, False)
    assert result.task.dispatch_count == 1 and result.task.response_count == 1
    assert result.task.last_attempt.response_status.code == 0


def test_failures_are_counted_and_retried_with_backoff_then_dropped() -> None:
    task, now = fresh_task(), 100.0
    retry_times = []
    for _ in range(3):
        result = attempts.settle(Attempt(task, POLICY, True), Outcome(500), now, now + 0.1)
        task, now = result.task, (result.retry_at or now)
        retry_times.append(result.retry_at)
    assert retry_times == [pytest.approx(101.1), pytest.approx(103.2), None]
    assert result.dropped
    assert task.dispatch_count == task.response_count == 3
    assert task.first_attempt.dispatch_time.timestamp() == pytest.approx(100.0)
    # The reference: first_attempt carries only dispatch_time (no schedule_time, no response)
    assert not tasks_v2.Task.pb(task).first_attempt.HasField("schedule_time")
    assert task.last_attempt.response_status.message == "HTTP 500"
    # 5xx answers are responses (response_count) but no executions (the delivery header)
    assert tasks_v2.Task.pb(task).http_request.headers.get(tasks.EXECUTIONS, "0") == "0"


def test_only_responses_other_than_5xx_count_as_executions() -> None:
    task, now = fresh_task(), 100.0
    for status in (503, 404, 500, 429):
        task = attempts.settle(Attempt(task, POLICY, True), Outcome(status), now, now).task
    assert task.response_count == 4
    assert tasks_v2.Task.pb(task).http_request.headers[tasks.EXECUTIONS] == "2"


def test_a_connection_error_is_an_attempt_without_a_response() -> None:
    result = attempts.settle(
        Attempt(fresh_task(), POLICY, True), Outcome(None, "ConnectionRefusedError"), 100, 100
    )
    assert result.task.dispatch_count == 1 and result.task.response_count == 0
    assert result.task.last_attempt.response_status.code == 14  # UNAVAILABLE
    assert tasks_v2.Task.pb(result.task).schedule_time.seconds == 101


@pytest.mark.parametrize(
    ("outcome", "code"),
    [(Outcome(404), 5), (Outcome(429), 8), (Outcome(500), 13), (Outcome(None, "deadline x"), 4)],
)
def test_outcomes_map_to_rpc_codes(outcome: Outcome, code: int) -> None:
    assert attempts.rpc_code(outcome) == code
