"""The CloudTasks methods, on the store and the dispatcher, with no gRPC in sight.

Each method takes the request message and returns the response message, and raises an
`errors.ApiError` subclass that `servicer.py` turns into a gRPC status.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from google.cloud import tasks_v2
from google.protobuf import empty_pb2

from . import names, queues, tasks, times
from .dedup import DedupWindow
from .dispatcher import Dispatcher
from .errors import InvalidArgument, NotFound
from .store import Store

MAX_PAGE = 1000
_STATE_FILTER = re.compile(r"\s*state\s*[:=]\s*([A-Z_]+)\s*")


class CloudTasksApi:
    """google.cloud.tasks.v2.CloudTasks, the queue and task methods."""

    def __init__(
        self,
        store: Store,
        dispatcher: Dispatcher,
        window: DedupWindow,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._dispatcher, self._window, self._clock = store, dispatcher, window, clock

    # Queues

    def create_queue(self, request: tasks_v2.CreateQueueRequest) -> tasks_v2.Queue:
        queue = queues.prepare_new(request.queue, request.parent)
        self._store.create_queue(queue)
        self._dispatcher.wake(queues_changed=True)
        return queue

    def get_queue(self, request: tasks_v2.GetQueueRequest) -> tasks_v2.Queue:
        return self._existing_queue(names.queue(request.name))

    def list_queues(self, request: tasks_v2.ListQueuesRequest) -> tasks_v2.ListQueuesResponse:
        found = self._store.list_queues(names.parent(request.parent))
        if request.filter:
            state = _state_filter(request.filter)
            found = [queue for queue in found if queue.state == state]
        offset, size = _page(request.page_token, request.page_size)
        return tasks_v2.ListQueuesResponse(
            queues=found[offset : offset + size],
            next_page_token=str(offset + size) if offset + size < len(found) else "",
        )

    def update_queue(self, request: tasks_v2.UpdateQueueRequest) -> tasks_v2.Queue:
        paths = list(request.update_mask.paths)
        queue = self._store.change_queue(
            names.queue(request.queue.name),
            lambda current: queues.apply_update(current, request.queue, paths),
        )
        self._dispatcher.wake(queues_changed=True)
        return queue

    def pause_queue(self, request: tasks_v2.PauseQueueRequest) -> tasks_v2.Queue:
        return self._set_state(request.name, tasks_v2.Queue.State.PAUSED)

    def resume_queue(self, request: tasks_v2.ResumeQueueRequest) -> tasks_v2.Queue:
        return self._set_state(request.name, tasks_v2.Queue.State.RUNNING)

    def purge_queue(self, request: tasks_v2.PurgeQueueRequest) -> tasks_v2.Queue:
        now = self._clock()
        self._store.purge_queue(names.queue(request.name), now)

        def stamp(queue: tasks_v2.Queue | None) -> tasks_v2.Queue:
            queue = _must_exist(queue, request.name)
            times.set_time(tasks_v2.Queue.pb(queue).purge_time, now)
            return queue

        return self._store.change_queue(request.name, stamp)

    def delete_queue(self, request: tasks_v2.DeleteQueueRequest) -> empty_pb2.Empty:
        self._store.delete_queue(names.queue(request.name), self._clock())
        self._dispatcher.wake(queues_changed=True)
        return empty_pb2.Empty()

    # Tasks

    def create_task(self, request: tasks_v2.CreateTaskRequest) -> tasks_v2.Task:
        now = self._clock()
        task = tasks.prepare_new(request.parent, request.task, now)
        due = times.seconds(tasks_v2.Task.pb(task).schedule_time)
        self._store.add_task(task, due, now, self._window)
        self._dispatcher.wake()
        return tasks.view(task, request.response_view)

    def get_task(self, request: tasks_v2.GetTaskRequest) -> tasks_v2.Task:
        task = self._store.get_task(names.task(request.name))
        if task is None:
            raise NotFound(f"task {request.name} does not exist")
        return tasks.view(task, request.response_view)

    def list_tasks(self, request: tasks_v2.ListTasksRequest) -> tasks_v2.ListTasksResponse:
        offset, size = _page(request.page_token, request.page_size)
        found = self._store.list_tasks(names.queue(request.parent), offset, size + 1)
        return tasks_v2.ListTasksResponse(
            tasks=[tasks.view(task, request.response_view) for task in found[:size]],
            next_page_token=str(offset + size) if len(found) > size else "",
        )

    def delete_task(self, request: tasks_v2.DeleteTaskRequest) -> empty_pb2.Empty:
        self._store.delete_task(names.task(request.name), self._clock())
        return empty_pb2.Empty()

    def run_task(self, request: tasks_v2.RunTaskRequest) -> tasks_v2.Task:
        task = self._dispatcher.run_now(names.task(request.name))
        return tasks.view(task, request.response_view)

    # Helpers

    def _existing_queue(self, name: str) -> tasks_v2.Queue:
        return _must_exist(self._store.get_queue(name), name)

    def _set_state(self, name: str, state: int) -> tasks_v2.Queue:
        """`state`: a `tasks_v2.Queue.State` (proto-plus enums type as int)."""

        def change(queue: tasks_v2.Queue | None) -> tasks_v2.Queue:
            queue = _must_exist(queue, name)
            queue.state = tasks_v2.Queue.State(state)
            return queue

        queue = self._store.change_queue(names.queue(name), change)
        self._dispatcher.wake(queues_changed=True)
        return queue


def _must_exist(queue: tasks_v2.Queue | None, name: str) -> tasks_v2.Queue:
    if queue is None:
        raise NotFound(f"queue {name} does not exist")
    return queue


def _page(token: str, size: int) -> tuple[int, int]:
    """(offset, page size) from a page token (an offset we handed out) and a requested size."""
    if size < 0:
        raise InvalidArgument(f"page_size {size} is negative")
    if token and not token.isdigit():
        raise InvalidArgument(f"page_token {token!r} was not issued by this emulator")
    return int(token or 0), min(size or MAX_PAGE, MAX_PAGE)


def _state_filter(text: str) -> int:
    match = _STATE_FILTER.fullmatch(text)
    if not match or match[1] not in tasks_v2.Queue.State.__members__:
        raise InvalidArgument(f"filter {text!r} is not supported; use 'state: PAUSED' or similar")
    return int(getattr(tasks_v2.Queue.State, match[1]))
