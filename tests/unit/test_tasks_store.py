"""The SQLite state: dedup, leases, restarts, the dispatch log (a temporary file, no server)."""

import threading

import pytest
from google.cloud import tasks_v2

from kindred_infra.tasks_emulator import queues, read_dispatches, tasks
from kindred_infra.tasks_emulator.dedup import DedupWindow
from kindred_infra.tasks_emulator.errors import AlreadyExists, NotFound
from kindred_infra.tasks_emulator.log import Dispatch
from kindred_infra.tasks_emulator.store import Store

pytestmark = pytest.mark.unit

PARENT = "projects/p/locations/l"
QUEUE = f"{PARENT}/queues/q"
NOW = 1_000_000.0
WINDOW = DedupWindow(60)


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path)
    store.create_queue(queues.prepare_new(tasks_v2.Queue(name=QUEUE), PARENT))
    yield store
    store.close()


def new_task(task_id: str) -> tasks_v2.Task:
    task = tasks_v2.Task(name=f"{QUEUE}/tasks/{task_id}", http_request={"url": "http://h/"})
    return tasks.prepare_new(QUEUE, task, NOW)


def dispatch(name: str) -> Dispatch:
    return Dispatch(task=name, queue=QUEUE, attempt=1, started=NOW, duration=0.1, status=200)


def test_a_live_name_is_taken(store: Store) -> None:
    store.add_task(new_task("a"), NOW, NOW, WINDOW)
    with pytest.raises(AlreadyExists, match="already exists"):
        store.add_task(new_task("a"), NOW, NOW, WINDOW)


def test_a_finished_or_deleted_name_is_taken_for_the_window(store: Store) -> None:
    for task_id in ("done", "deleted"):
        store.add_task(new_task(task_id), NOW, NOW, WINDOW)
    store.finish(f"{QUEUE}/tasks/done", NOW, dispatch(f"{QUEUE}/tasks/done"))
    store.delete_task(f"{QUEUE}/tasks/deleted", NOW)
    for task_id in ("done", "deleted"):
        with pytest.raises(AlreadyExists, match="stays taken for 60 s"):
            store.add_task(new_task(task_id), NOW + 59, NOW + 59, WINDOW)
        store.add_task(new_task(task_id), NOW + 61, NOW + 61, WINDOW)


def test_concurrent_creates_of_one_name_let_exactly_one_through(store: Store) -> None:
    outcomes: list[str] = []

    def create() -> None:
        try:
            store.add_task(new_task("race"), NOW, NOW, WINDOW)
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("refused")

    threads = [threading.Thread(target=create) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["refused"] * 15


def test_a_task_needs_its_queue(store: Store) -> None:
    task = tasks_v2.Task(name=f"{PARENT}/queues/nope/tasks/t", http_request={"url": "http://h/"})
    with pytest.raises(NotFound, match=r"queue .*/nope does not exist"):
        store.add_task(task, NOW, NOW, WINDOW)


def test_leases_hand_out_due_tasks_once_in_due_order(store: Store) -> None:
    for task_id, due in (("late", NOW + 10), ("b", NOW + 2), ("a", NOW + 1)):
        store.add_task(new_task(task_id), due, NOW, WINDOW)
    assert store.next_due(QUEUE) == NOW + 1
    assert [t.name[-1] for t in store.lease_due(QUEUE, NOW + 5, 10)] == ["a", "b"]
    assert store.lease_due(QUEUE, NOW + 5, 10) == []
    assert store.next_due(QUEUE) == NOW + 10


def test_a_restart_makes_leased_tasks_due_again(tmp_path, store: Store) -> None:
    store.add_task(new_task("t"), NOW, NOW, WINDOW)
    assert len(store.lease_due(QUEUE, NOW, 1)) == 1
    store.close()
    reopened = Store.open(tmp_path)
    reopened.release_leases()
    assert [t.name for t in reopened.lease_due(QUEUE, NOW, 1)] == [f"{QUEUE}/tasks/t"]
    reopened.close()


def test_reschedule_does_not_bring_back_a_deleted_task(tmp_path, store: Store) -> None:
    task = new_task("t")
    store.add_task(task, NOW, NOW, WINDOW)
    store.delete_task(task.name, NOW)
    store.reschedule(task, NOW + 5, dispatch(task.name))
    assert store.get_task(task.name) is None
    assert len(read_dispatches(tmp_path)) == 1


def test_purge_and_delete_queue_remove_the_tasks(store: Store) -> None:
    store.add_task(new_task("a"), NOW, NOW, WINDOW)
    assert store.purge_queue(QUEUE, NOW) == 1
    assert store.list_tasks(QUEUE, 0, 10) == []
    store.delete_queue(QUEUE, NOW)
    with pytest.raises(NotFound):
        store.delete_queue(QUEUE, NOW)
    with pytest.raises(NotFound):
        store.list_tasks(QUEUE, 0, 10)


def test_the_dispatch_log_is_readable_by_queue_id(tmp_path, store: Store) -> None:
    store.add_task(new_task("t"), NOW, NOW, WINDOW)
    store.finish(f"{QUEUE}/tasks/t", NOW, dispatch(f"{QUEUE}/tasks/t"))
    [logged] = read_dispatches(tmp_path, queue="q")
    assert logged == dispatch(f"{QUEUE}/tasks/t")
    assert (logged.task_id, logged.queue_id, logged.ok) == ("t", "q", True)
    assert read_dispatches(tmp_path, queue="other") == []
