"""The dispatcher against a fake HTTP sender: retries, drops, pauses, RunTask, duplicates.

Real threads and a real (temporary) store, but no sockets; backoffs are a few milliseconds.
"""

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from google.cloud import tasks_v2

from kindred_infra.tasks_emulator import dispatcher as dispatcher_module
from kindred_infra.tasks_emulator import queues, read_dispatches, tasks
from kindred_infra.tasks_emulator.dedup import DedupWindow
from kindred_infra.tasks_emulator.delivery import Outcome, Request
from kindred_infra.tasks_emulator.dispatcher import Dispatcher
from kindred_infra.tasks_emulator.store import Store

pytestmark = pytest.mark.unit

PARENT = "projects/p/locations/l"
QUEUE = f"{PARENT}/queues/q"
WINDOW = DedupWindow(60)


class FakeSender:
    """Answers with the given statuses in turn (the last one repeats) and records requests."""

    def __init__(self, *statuses: int, delay: float = 0.0) -> None:
        self.statuses, self.delay = list(statuses) or [200], delay
        self.requests: list[Request] = []
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Outcome:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
        return Outcome(status)


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = Store.open(tmp_path)
    yield store
    store.close()


@pytest.fixture
def start(store: Store) -> Iterator[Callable[..., Dispatcher]]:
    started: list[Dispatcher] = []

    def start(sender: FakeSender, **options: object) -> Dispatcher:
        dispatcher = Dispatcher(store, window=WINDOW, deliver=sender, **options)  # type: ignore[arg-type]
        dispatcher.start()
        started.append(dispatcher)
        return dispatcher

    yield start
    for dispatcher in started:
        dispatcher.stop(grace=1.0)


def add_queue(store: Store, paused: bool = False, **retry: object) -> None:
    queue = tasks_v2.Queue(
        name=QUEUE,
        rate_limits={"max_dispatches_per_second": 500, "max_concurrent_dispatches": 2},
        retry_config={"min_backoff": {"nanos": 10_000_000}, "max_doublings": 1, **retry},
    )
    queue = queues.prepare_new(queue, PARENT)
    if paused:
        queue.state = tasks_v2.Queue.State.PAUSED
    store.create_queue(queue)


def add_task(store: Store, task_id: str) -> str:
    task = tasks_v2.Task(name=f"{QUEUE}/tasks/{task_id}", http_request={"url": "http://h/"})
    now = time.time()
    store.add_task(tasks.prepare_new(QUEUE, task, now), now, now, WINDOW)
    return task.name


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_failing_task_is_retried_with_counts_then_succeeds(tmp_path, store, start) -> None:
    add_queue(store)
    sender = FakeSender(500, 404, 503, 200)
    name = add_task(store, "t")
    start(sender)
    wait_until(lambda: len(read_dispatches(tmp_path)) == 4)
    retries = [r.headers["X-CloudTasks-TaskRetryCount"] for r in sender.requests]
    executions = [r.headers["X-CloudTasks-TaskExecutionCount"] for r in sender.requests]
    # Every attempt counts as a retry; only a response other than 5xx as an execution.
    assert retries == ["0", "1", "2", "3"] and executions == ["0", "0", "1", "1"]
    assert [d.status for d in read_dispatches(tmp_path)] == [500, 404, 503, 200]
    assert store.get_task(name) is None


def test_a_task_out_of_attempts_is_dropped_and_logged(tmp_path, store, start, caplog) -> None:
    add_queue(store, max_attempts=3)
    name = add_task(store, "doomed")
    start(FakeSender(500))
    wait_until(lambda: len(read_dispatches(tmp_path)) == 3)
    time.sleep(0.1)
    log = read_dispatches(tmp_path)
    assert [(d.attempt, d.dropped) for d in log] == [(1, False), (2, False), (3, True)]
    assert store.get_task(name) is None
    assert f"dropped task {name} after 3 attempts; last: HTTP 500" in caplog.text


def test_a_paused_queue_waits_but_run_now_goes_anyway(tmp_path, store, start) -> None:
    add_queue(store, paused=True)
    name = add_task(store, "t")
    add_task(store, "other")
    dispatcher = start(FakeSender(200))
    time.sleep(0.2)
    assert read_dispatches(tmp_path) == []
    dispatcher.run_now(name)
    wait_until(lambda: len(read_dispatches(tmp_path)) == 1)
    assert read_dispatches(tmp_path)[0].task == name


def test_never_more_in_flight_than_the_queue_allows(store, start) -> None:
    add_queue(store)
    sender = FakeSender(200, delay=0.1)
    for index in range(6):
        add_task(store, f"t{index}")
    start(sender)
    wait_until(lambda: len(sender.requests) == 6)
    assert sender.most_in_flight == 2


def test_duplicates_deliver_a_success_twice(tmp_path, store, start, monkeypatch) -> None:
    monkeypatch.setattr(dispatcher_module, "DUPLICATE_DELAY", (0.01, 0.02))
    add_queue(store)
    add_task(store, "t")
    start(FakeSender(200), duplicates=1.0, seed=7)
    wait_until(lambda: len(read_dispatches(tmp_path)) == 2)
    first, second = read_dispatches(tmp_path)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.attempt == second.attempt == 1
