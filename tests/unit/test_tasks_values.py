"""Queue and task values as the emulator stores and returns them (no server involved)."""

import datetime

import pytest
from google.cloud import tasks_v2
from google.protobuf import duration_pb2

from kindred_infra.tasks_emulator import delivery, queues, tasks
from kindred_infra.tasks_emulator.errors import InvalidArgument

pytestmark = pytest.mark.unit

PARENT = "projects/p/locations/l"
QUEUE = f"{PARENT}/queues/q"
NOW = 1_700_000_000.0


def test_a_new_queue_gets_cloud_tasks_defaults() -> None:
    queue = queues.prepare_new(tasks_v2.Queue(name=QUEUE), PARENT)
    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert queue.rate_limits.max_dispatches_per_second == 500
    assert queue.rate_limits.max_burst_size == 500
    assert queue.rate_limits.max_concurrent_dispatches == 1000
    retry = queue.retry_config
    assert retry.max_attempts == 100
    assert retry.min_backoff == datetime.timedelta(seconds=0.1)
    assert retry.max_backoff == datetime.timedelta(hours=1)
    assert retry.max_doublings == 16


def test_a_new_queue_keeps_what_was_given_and_ignores_output_fields() -> None:
    given = tasks_v2.Queue(
        name=QUEUE,
        state=tasks_v2.Queue.State.PAUSED,
        rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=5, max_burst_size=1),
        retry_config=tasks_v2.RetryConfig(max_attempts=-1),
    )
    queue = queues.prepare_new(given, PARENT)
    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert (queue.rate_limits.max_dispatches_per_second, queue.rate_limits.max_burst_size) == (5, 1)
    assert queue.retry_config.max_attempts == -1
    assert queues.policy(queue).max_attempts == -1


@pytest.mark.parametrize(
    ("queue", "parent", "message"),
    [
        (tasks_v2.Queue(name="q"), PARENT, "queue name 'q' is not of the form"),
        (tasks_v2.Queue(name=QUEUE), "projects/p", "parent 'projects/p'"),
        (tasks_v2.Queue(name="projects/x/locations/l/queues/q"), PARENT, "is not under parent"),
        (
            tasks_v2.Queue(name=QUEUE, rate_limits={"max_dispatches_per_second": 501}),
            PARENT,
            "max_dispatches_per_second 501 is not in (0, 500]",
        ),
        (
            tasks_v2.Queue(name=QUEUE, retry_config={"max_attempts": -2}),
            PARENT,
            "max_attempts -2 is below -1",
        ),
    ],
)
def test_bad_queues_are_refused_with_the_reason(
    queue: tasks_v2.Queue, parent: str, message: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        queues.prepare_new(queue, parent)
    assert message in str(raised.value)


def test_update_with_a_mask_changes_only_the_masked_field() -> None:
    current = queues.prepare_new(
        tasks_v2.Queue(name=QUEUE, rate_limits={"max_dispatches_per_second": 5}), PARENT
    )
    current.state = tasks_v2.Queue.State.PAUSED
    update = tasks_v2.Queue(
        name=QUEUE,
        rate_limits={"max_dispatches_per_second": 7, "max_concurrent_dispatches": 3},
    )
    updated = queues.apply_update(current, update, ["rate_limits.max_dispatches_per_second"])
    assert updated.rate_limits.max_dispatches_per_second == 7
    assert updated.rate_limits.max_concurrent_dispatches == 1000
    assert updated.state == tasks_v2.Queue.State.PAUSED


def test_update_without_a_mask_replaces_the_settings_and_creates_a_missing_queue() -> None:
    update = tasks_v2.Queue(name=QUEUE, rate_limits={"max_concurrent_dispatches": 3})
    created = queues.apply_update(None, update, [])
    assert created.rate_limits.max_concurrent_dispatches == 3
    assert created.rate_limits.max_dispatches_per_second == 500


def test_update_refuses_an_output_only_path() -> None:
    with pytest.raises(InvalidArgument, match="'state' is not one of"):
        queues.apply_update(None, tasks_v2.Queue(name=QUEUE), ["state"])


def http_task(**fields: object) -> tasks_v2.Task:
    request = tasks_v2.HttpRequest(url="http://127.0.0.1:1/run", body=b"{}")
    return tasks_v2.Task(http_request=request, **fields)


def test_a_new_task_is_named_scheduled_and_given_the_default_deadline() -> None:
    task = tasks.prepare_new(QUEUE, http_task(), NOW)
    assert task.name.startswith(f"{QUEUE}/tasks/")
    assert task.schedule_time.timestamp() == pytest.approx(NOW)
    assert task.dispatch_deadline == datetime.timedelta(minutes=10)
    assert task.http_request.http_method == tasks_v2.HttpMethod.POST


def test_a_past_schedule_becomes_now() -> None:
    past = datetime.datetime.fromtimestamp(NOW - 60, tz=datetime.UTC)
    task = tasks.prepare_new(QUEUE, http_task(schedule_time=past), NOW)
    assert task.schedule_time.timestamp() == pytest.approx(NOW)


@pytest.mark.parametrize(("given", "used"), [(0, 600), (1, 15), (60, 60), (7200, 1800)])
def test_deadlines_are_clamped_to_15_s_30_min(given: int, used: float) -> None:
    assert tasks.deadline(duration_pb2.Duration(seconds=given)) == used


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (tasks_v2.Task(), "task has no http_request"),
        (tasks_v2.Task(app_engine_http_request={}), "App Engine tasks are not supported"),
        (tasks_v2.Task(http_request={"url": "ftp://x/"}), "is not an http(s) URL"),
        (http_task(name=f"{PARENT}/queues/other/tasks/t"), "is not in queue"),
        (http_task(name=f"{QUEUE}/tasks/a b"), "task name"),
    ],
)
def test_bad_tasks_are_refused_with_the_reason(task: tasks_v2.Task, message: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        tasks.prepare_new(QUEUE, task, NOW)
    assert message in str(raised.value)


def test_a_schedule_over_30_days_ahead_is_refused() -> None:
    later = datetime.datetime.fromtimestamp(NOW + 31 * 86400, tz=datetime.UTC)
    with pytest.raises(InvalidArgument, match="30 days"):
        tasks.prepare_new(QUEUE, http_task(schedule_time=later), NOW)


def test_the_basic_view_leaves_out_the_body_and_full_keeps_it() -> None:
    task = tasks.prepare_new(QUEUE, http_task(), NOW)
    basic = tasks.view(task, tasks_v2.Task.View.VIEW_UNSPECIFIED)
    assert basic.view == tasks_v2.Task.View.BASIC and basic.http_request.body == b""
    full = tasks.view(task, tasks_v2.Task.View.FULL)
    assert full.view == tasks_v2.Task.View.FULL and full.http_request.body == b"{}"
    assert task.http_request.body == b"{}"  # the stored task is untouched


def test_the_request_carries_cloud_tasks_headers() -> None:
    given = http_task(name=f"{QUEUE}/tasks/t-1")
    given.http_request.headers = {
        "Content-Type": "application/json",
        "user-agent": "me",
        "X-A": "b",
    }
    given.http_request.http_method = tasks_v2.HttpMethod.PUT
    task = tasks.prepare_new(QUEUE, given, NOW)
    task.dispatch_count, task.response_count = 3, 2
    task.http_request.headers[tasks.EXECUTIONS] = "1"  # of the 2 responses, 1 was not a 5xx
    request = delivery.request_for(task)
    assert request.method == "PUT" and request.body == b"{}" and request.timeout == 600
    assert request.headers == {
        "Content-Type": "application/json",
        "X-A": "b",
        "User-Agent": "Google-Cloud-Tasks",
        "X-CloudTasks-QueueName": "q",
        "X-CloudTasks-TaskName": "t-1",
        "X-CloudTasks-TaskRetryCount": "3",
        "X-CloudTasks-TaskExecutionCount": "1",
        "X-CloudTasks-TaskETA": f"{NOW:.6f}",
    }


def test_a_body_without_a_content_type_is_sent_without_one() -> None:
    # The reference: Cloud Tasks sets no Content-Type of its own (it was octet-stream here).
    request = delivery.request_for(tasks.prepare_new(QUEUE, http_task(), NOW))
    assert request.body == b"{}"
    assert not any(key.lower() == "content-type" for key in request.headers), request.headers


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE", "OPTIONS"])
def test_a_body_on_a_method_that_takes_none_is_an_invalid_argument(method) -> None:
    # The reference: a body is allowed only for POST, PUT and PATCH; otherwise InvalidArgument.
    given = http_task()
    given.http_request.http_method = tasks_v2.HttpMethod[method]
    with pytest.raises(InvalidArgument, match=f"a {method} task may not have one"):
        tasks.prepare_new(QUEUE, given, NOW)
    given.http_request.body = b""
    assert (
        tasks.prepare_new(QUEUE, given, NOW).http_request.http_method
        == given.http_request.http_method
    )


def test_the_execution_count_is_neither_settable_at_create_nor_shown() -> None:
    given = http_task()
    given.http_request.headers = {tasks.EXECUTIONS: "7"}
    task = tasks.prepare_new(QUEUE, given, NOW)
    assert delivery.request_for(task).headers["X-CloudTasks-TaskExecutionCount"] == "0"
    task.http_request.headers[tasks.EXECUTIONS] = "2"
    assert tasks.EXECUTIONS not in tasks.view(task, tasks_v2.Task.View.FULL).http_request.headers
