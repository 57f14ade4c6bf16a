"""The Cloud Tasks emulator as the application meets it: the unmodified `google-cloud-tasks`
client over gRPC, and real HTTP deliveries to a small recording receiver.

Behaviour tests with generous tolerances, not benchmarks. Each test uses its own queue.
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2
from support.receiver import Arrival, Receiver, receiving

from kindred_infra import process
from kindred_infra import tasks_emulator as emulator
from kindred_infra.tasks_emulator import delivery

pytestmark = pytest.mark.integration

PARENT = "projects/kindred-local/locations/us-central1"
QUEUE_YAML = """\
queue:
- name: from-yaml
  rate: 5/s
  bucket_size: 3
  max_concurrent_requests: 4
  retry_parameters: {task_retry_limit: 3, min_backoff_seconds: 1, max_doublings: 2}
"""


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as recording:
        yield recording


# The emulator


@dataclass
class Running:
    address: str
    state_dir: Path
    client: tasks_v2.CloudTasksClient


def start_emulator(state_dir: Path, **options: object) -> tuple[process.Service, str]:
    port = process.free_port()
    service = emulator.service(port, state_dir, state_dir / "emulator.log", **options)
    return service, f"{process.LOOPBACK}:{port}"


@pytest.fixture(scope="module")
def tasks(tmp_path_factory) -> Iterator[Running]:
    state_dir = tmp_path_factory.mktemp("tasks-emulator")
    queue_yaml = state_dir / "queue.yaml"
    queue_yaml.write_text(QUEUE_YAML)
    service, address = start_emulator(state_dir, queues=queue_yaml)
    with process.running(service):
        yield Running(address, state_dir, emulator.client(address))


@pytest.fixture
def client(tasks: Running) -> tasks_v2.CloudTasksClient:
    return tasks.client


def make_queue(
    client: tasks_v2.CloudTasksClient,
    queue_id: str,
    rate: float = 100,
    burst: int = 100,
    concurrent: int = 100,
    paused: bool = False,
    **retry: object,
) -> str:
    queue = client.create_queue(
        parent=PARENT,
        queue=tasks_v2.Queue(
            name=f"{PARENT}/queues/{queue_id}",
            rate_limits={
                "max_dispatches_per_second": rate,
                "max_burst_size": burst,
                "max_concurrent_dispatches": concurrent,
            },
            retry_config=retry or None,
        ),
    )
    if paused:
        client.pause_queue(name=queue.name)
    return queue.name


def add(
    client: tasks_v2.CloudTasksClient, queue: str, url: str, task_id: str | None = None, **fields
) -> tasks_v2.Task:
    request = fields.pop("http_request", {"url": url})
    name = f"{queue}/tasks/{task_id}" if task_id else None
    return client.create_task(
        parent=queue, task=tasks_v2.Task(name=name, http_request=request, **fields)
    )


def seconds(value: float) -> dict[str, int]:
    return {"seconds": int(value), "nanos": round((value % 1) * 1e9)}


def gaps(arrivals: list[Arrival]) -> list[float]:
    return [later.at - earlier.at for earlier, later in itertools.pairwise(arrivals)]


# The API


def test_queues_from_queue_yaml_exist_at_start(tasks, client) -> None:
    assert emulator.ready(tasks.address)
    queue = client.get_queue(name=f"{PARENT}/queues/from-yaml")
    assert queue.rate_limits.max_dispatches_per_second == 5
    assert queue.rate_limits.max_burst_size == 3
    assert queue.rate_limits.max_concurrent_dispatches == 4
    assert queue.retry_config.max_attempts == 3
    assert queue.retry_config.min_backoff == datetime.timedelta(seconds=1)
    assert queue.retry_config.max_doublings == 2


def test_queue_lifecycle(client, receiver) -> None:
    name = make_queue(client, "lifecycle", rate=3)
    with pytest.raises(exceptions.AlreadyExists):
        make_queue(client, "lifecycle")
    assert client.get_queue(name=name).state == tasks_v2.Queue.State.RUNNING
    assert name in [queue.name for queue in client.list_queues(parent=PARENT)]

    mask = field_mask_pb2.FieldMask(paths=["rate_limits.max_dispatches_per_second"])
    update = tasks_v2.Queue(name=name, rate_limits={"max_dispatches_per_second": 7})
    updated = client.update_queue(queue=update, update_mask=mask)
    assert updated.rate_limits.max_dispatches_per_second == 7
    assert updated.rate_limits.max_burst_size == 100  # not in the mask: kept

    assert client.pause_queue(name=name).state == tasks_v2.Queue.State.PAUSED
    paused = client.list_queues(request={"parent": PARENT, "filter": "state: PAUSED"})
    assert [queue.name for queue in paused] == [name]
    add(client, name, receiver.url("/lifecycle"))
    purged = client.purge_queue(name=name)
    assert "purge_time" in purged
    assert list(client.list_tasks(parent=name)) == []
    assert client.resume_queue(name=name).state == tasks_v2.Queue.State.RUNNING

    client.delete_queue(name=name)
    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=name)
    with pytest.raises(exceptions.NotFound):
        client.list_tasks(parent=name)
    assert receiver.at("/lifecycle") == []


def test_bad_requests_say_what_is_wrong(client, receiver) -> None:
    with pytest.raises(exceptions.InvalidArgument, match="is not of the form"):
        client.get_queue(name="queues/q")
    with pytest.raises(exceptions.InvalidArgument, match="max_dispatches_per_second 900"):
        make_queue(client, "too-fast", rate=900)
    with pytest.raises(exceptions.NotFound, match="queues/missing does not exist"):
        client.get_queue(name=f"{PARENT}/queues/missing")
    with pytest.raises(exceptions.NotFound):
        add(client, f"{PARENT}/queues/missing", receiver.url("/x"))
    queue = make_queue(client, "bad-requests", paused=True)
    with pytest.raises(exceptions.InvalidArgument, match="task has no http_request"):
        client.create_task(parent=queue, task=tasks_v2.Task())
    with pytest.raises(exceptions.InvalidArgument, match="not an http"):
        add(client, queue, "ftp://example.com/")


def test_task_lifecycle_views_and_dedup(client, receiver) -> None:
    queue = make_queue(client, "task-lifecycle", paused=True)
    url = receiver.url("/task-lifecycle")
    body = {"url": url, "body": b"payload"}
    task = add(client, queue, url, "first", http_request=body)
    assert task.name == f"{queue}/tasks/first"
    assert task.http_request.body == b""  # BASIC by default
    full = client.get_task(request={"name": task.name, "response_view": "FULL"})
    assert full.http_request.body == b"payload"
    assert client.get_task(name=task.name).http_request.body == b""
    with pytest.raises(exceptions.AlreadyExists):
        add(client, queue, url, "first")

    unnamed = add(client, queue, url)
    assert unnamed.name.startswith(f"{queue}/tasks/") and unnamed.name != task.name
    assert {t.name for t in client.list_tasks(parent=queue)} == {task.name, unnamed.name}

    client.delete_task(name=unnamed.name)
    with pytest.raises(exceptions.NotFound):
        client.get_task(name=unnamed.name)
    with pytest.raises(exceptions.AlreadyExists):  # deleted: still taken
        client.create_task(parent=queue, task=tasks_v2.Task(name=unnamed.name, http_request=body))

    client.run_task(name=task.name)  # runs although the queue is paused
    [arrival] = receiver.wait_for("/task-lifecycle", 1)
    assert arrival.body == b"payload"
    _wait_gone(client, task.name)
    with pytest.raises(exceptions.AlreadyExists):  # ran: still taken
        add(client, queue, url, "first")
    with pytest.raises(exceptions.NotFound):
        client.run_task(name=task.name)


def _wait_gone(client: tasks_v2.CloudTasksClient, name: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.get_task(name=name)
        except exceptions.NotFound:
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} still exists after {timeout} s")


# Dispatch


def test_the_rate_spreads_tasks_out(client, receiver) -> None:
    queue = make_queue(client, "rate", rate=5, burst=1)
    for index in range(25):
        add(client, queue, receiver.url("/rate"), f"t{index}")
    arrivals = receiver.wait_for("/rate", 25, timeout=15)
    span = arrivals[-1].at - arrivals[0].at
    assert 3.5 <= span <= 8.0, span
    names = [arrival.headers["X-CloudTasks-TaskName"] for arrival in arrivals]
    assert sorted(names) == sorted(f"t{index}" for index in range(25))
    time.sleep(0.3)
    assert len(receiver.at("/rate")) == 25


def test_a_full_bucket_sends_a_burst_at_once(client, receiver) -> None:
    queue = make_queue(client, "burst", rate=1, burst=10, paused=True)
    for index in range(12):
        add(client, queue, receiver.url("/burst"), f"t{index}")
    client.resume_queue(name=queue)
    arrivals = receiver.wait_for("/burst", 11, timeout=10)
    assert arrivals[9].at - arrivals[0].at < 0.5
    assert arrivals[10].at - arrivals[0].at > 0.6


def test_never_more_in_flight_than_max_concurrent(client, receiver) -> None:
    queue = make_queue(client, "concurrency", concurrent=2)
    for index in range(6):
        add(client, queue, receiver.url("/concurrency", sleep=0.5), f"t{index}")
    arrivals = receiver.wait_for("/concurrency", 6, timeout=10)
    assert receiver.most_in_flight["/concurrency"] == 2
    assert arrivals[-1].at - arrivals[0].at >= 0.9  # three rounds of two


def test_failures_back_off_exponentially(tasks, client, receiver) -> None:
    queue = make_queue(
        client,
        "backoff",
        min_backoff=seconds(0.2),
        max_backoff=seconds(10),
        max_doublings=5,
        max_attempts=10,
    )
    add(client, queue, receiver.url("/backoff", fail=2), "t")
    arrivals = receiver.wait_for("/backoff", 3)
    first_gap, second_gap = gaps(arrivals)
    assert 0.15 <= first_gap <= 0.6, first_gap
    assert 0.35 <= second_gap <= 0.9, second_gap
    retries = [arrival.headers["X-CloudTasks-TaskRetryCount"] for arrival in arrivals]
    assert retries == ["0", "1", "2"]
    _wait_gone(client, f"{queue}/tasks/t")
    log = emulator.read_dispatches(tasks.state_dir, queue="backoff")
    assert [d.status for d in log] == [500, 500, 200]


def test_a_task_that_always_fails_is_dropped_after_max_attempts(tasks, client, receiver) -> None:
    queue = make_queue(client, "drop", min_backoff=seconds(0.1), max_doublings=1, max_attempts=3)
    add(client, queue, receiver.url("/drop", status=500), "doomed")
    receiver.wait_for("/drop", 3)
    _wait_gone(client, f"{queue}/tasks/doomed")
    time.sleep(0.5)
    assert len(receiver.at("/drop")) == 3
    log = emulator.read_dispatches(tasks.state_dir, queue="drop")
    assert [(d.attempt, d.status, d.dropped) for d in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 500, True),
    ]


def test_headers_are_those_cloud_tasks_sends(client, receiver) -> None:
    queue = make_queue(client, "headers")
    request = {
        "url": receiver.url("/headers"),
        "http_method": tasks_v2.HttpMethod.PUT,
        "headers": {"Content-Type": "application/json", "X-Kindred-Job": "j1"},
        "body": b'{"a": 1}',
        "oidc_token": {"service_account_email": "tasks@kindred-local.iam.gserviceaccount.com"},
    }
    task = add(client, queue, "", "with-headers", http_request=request)
    [arrival] = receiver.wait_for("/headers", 1)
    headers = arrival.headers
    assert arrival.method == "PUT" and arrival.body == b'{"a": 1}'
    assert headers["User-Agent"] == "Google-Cloud-Tasks"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Kindred-Job"] == "j1"
    assert headers["X-CloudTasks-QueueName"] == "headers"
    assert headers["X-CloudTasks-TaskName"] == "with-headers"
    assert headers["X-CloudTasks-TaskRetryCount"] == "0"
    assert headers["X-CloudTasks-TaskExecutionCount"] == "0"
    eta = float(headers["X-CloudTasks-TaskETA"])
    assert eta == pytest.approx(task.schedule_time.timestamp(), abs=1e-3)


def test_a_future_schedule_time_is_honoured(client, receiver) -> None:
    queue = make_queue(client, "scheduled")
    when = time.time() + 1.5
    add(client, queue, receiver.url("/scheduled"), "later", schedule_time=seconds(when))
    [arrival] = receiver.wait_for("/scheduled", 1)
    assert when - 0.05 <= arrival.at <= when + 1.0


def test_a_request_past_its_deadline_is_a_failure(receiver) -> None:
    request = delivery.Request("POST", receiver.url("/slow", sleep=1.0), {}, b"", timeout=0.3)
    outcome = delivery.deliver(request)
    assert not outcome.ok and "deadline exceeded" in (outcome.error or "")


# Restarts and duplicates (their own emulators)


def test_tasks_survive_a_restart(tmp_path, receiver) -> None:
    queue_yaml = tmp_path / "queue.yaml"
    queue_yaml.write_text("queue:\n- name: restart\n  rate: 5/s\n")
    service, address = start_emulator(tmp_path, queues=queue_yaml)
    queue = f"{PARENT}/queues/restart"
    with process.running(service):
        client = emulator.client(address)
        when = time.time() + 3
        for index in range(3):
            add(client, queue, receiver.url("/restart"), f"t{index}", schedule_time=seconds(when))
    assert receiver.at("/restart") == []

    queue_yaml.write_text("queue:\n- name: restart\n  rate: 7/s\n")
    service, address = start_emulator(tmp_path, queues=queue_yaml)
    with process.running(service):
        client = emulator.client(address)
        assert client.get_queue(name=queue).rate_limits.max_dispatches_per_second == 7
        arrivals = receiver.wait_for("/restart", 3)
        assert all(arrival.at >= when - 0.05 for arrival in arrivals)
        with pytest.raises(exceptions.AlreadyExists):
            add(client, queue, receiver.url("/restart"), "t0")
        time.sleep(0.3)
    assert len(receiver.at("/restart")) == 3


def test_duplicates_deliver_every_success_twice(tmp_path, receiver) -> None:
    service, address = start_emulator(tmp_path, duplicates=1.0, seed=3)
    with process.running(service):
        client = emulator.client(address)
        queue = make_queue(client, "duplicates")
        add(client, queue, receiver.url("/duplicates"), "once")
        first, second = receiver.wait_for("/duplicates", 2, timeout=10)
        assert 0.4 <= second.at - first.at <= 5.5
        assert first.headers["X-CloudTasks-TaskName"] == second.headers["X-CloudTasks-TaskName"]
    log = emulator.read_dispatches(tmp_path, queue="duplicates")
    assert [d.duplicate for d in log] == [False, True]


# Differences from the Cloud Tasks reference, measured with the unmodified client, now matched


def test_the_execution_count_counts_only_responses_other_than_5xx(client, receiver) -> None:
    # The reference: X-CloudTasks-TaskExecutionCount leaves out 5xx answers; RetryCount does not.
    fives = make_queue(client, "exec-5xx", min_backoff=seconds(0.1), max_doublings=1)
    add(client, fives, receiver.url("/exec-5xx", fail=2), "t")
    fours = make_queue(client, "exec-4xx", min_backoff=seconds(0.1), max_doublings=1,
                       max_attempts=3)  # fmt: skip
    add(client, fours, receiver.url("/exec-4xx", status=404), "t")
    for path, executions in (("/exec-5xx", ["0", "0", "0"]), ("/exec-4xx", ["0", "1", "2"])):
        arrivals = receiver.wait_for(path, 3)
        headers = [arrival.headers for arrival in arrivals]
        assert [h["X-CloudTasks-TaskRetryCount"] for h in headers] == ["0", "1", "2"], path
        assert [h["X-CloudTasks-TaskExecutionCount"] for h in headers] == executions, path
        assert not any(key.lower().startswith("x-cloudtasks-emulator") for key in headers[0])


def test_a_body_without_a_content_type_is_delivered_without_one(client, receiver) -> None:
    queue = make_queue(client, "no-type")
    add(client, queue, "", "t", http_request={"url": receiver.url("/no-type"), "body": b"raw"})
    [arrival] = receiver.wait_for("/no-type", 1)
    assert arrival.body == b"raw"
    assert not any(key.lower() == "content-type" for key in arrival.headers), arrival.headers


def test_a_get_task_with_a_body_is_an_invalid_argument(client) -> None:
    queue = make_queue(client, "get-body")
    request = {"url": "http://127.0.0.1:9/", "http_method": tasks_v2.HttpMethod.GET, "body": b"x"}
    with pytest.raises(exceptions.InvalidArgument, match="may not have one"):
        add(client, queue, "", "t", http_request=request)
    assert list(client.list_tasks(parent=queue)) == []


def test_first_attempt_carries_only_its_dispatch_time(client, receiver) -> None:
    queue = make_queue(client, "first", min_backoff=seconds(5))
    add(client, queue, receiver.url("/first", fail=1), "t")
    receiver.wait_for("/first", 1)
    name = f"{queue}/tasks/t"
    deadline = time.monotonic() + 5
    while not (task := client.get_task(name=name)).dispatch_count:
        assert time.monotonic() < deadline, "the first attempt was not recorded"
        time.sleep(0.05)
    first = tasks_v2.Task.pb(task).first_attempt
    assert first.HasField("dispatch_time") and not first.HasField("schedule_time")
    assert not first.HasField("response_time") and not first.HasField("response_status")
    assert tasks_v2.Task.pb(task).last_attempt.HasField("schedule_time")
    assert "x-cloudtasks-emulator-executions" not in task.http_request.headers
    client.delete_task(name=name)
