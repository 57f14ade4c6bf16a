"""The scheduler: which task goes out when, within each queue's rate, burst and concurrency.

One thread decides; a pool of workers does the HTTP. The scheduler sleeps on a Condition until
the next task is due or a queue's bucket refills, and is woken early by a new task, a queue
change or a finished delivery. It never polls in a tight loop.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from google.cloud import tasks_v2

from . import attempts, delivery, names, queues
from .attempts import Attempt
from .backoff import RetryPolicy
from .bucket import TokenBucket
from .dedup import DedupWindow
from .errors import NotFound
from .log import Dispatch
from .store import Store
from .workers import WorkerPool

log = logging.getLogger(__name__)

MAX_SLEEP = 10.0
HOUSEKEEPING_EVERY = 60.0
DUPLICATE_DELAY = (0.5, 5.0)


@dataclass
class QueueState:
    """What the scheduler tracks per queue between wake-ups."""

    bucket: TokenBucket
    concurrency: int
    policy: RetryPolicy
    paused: bool
    in_flight: int = 0


class Dispatcher:
    """Dispatches the store's due tasks; `start()` it, `wake()` it after a change, `stop()` it."""

    def __init__(
        self,
        store: Store,
        *,
        window: DedupWindow,
        workers: int = 256,
        duplicates: float = 0.0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        deliver: Callable[[delivery.Request], delivery.Outcome] = delivery.deliver,
        sign: delivery.Signer | None = None,
    ) -> None:
        self._store, self._window, self._clock, self._deliver = store, window, clock, deliver
        self._sign = sign
        self._pool = WorkerPool(workers)
        self._duplicates, self._random = duplicates, random.Random(seed)
        self._cond = threading.Condition()
        self._queues: dict[str, QueueState] = {}
        self._pending_duplicates: list[tuple[float, int, Attempt]] = []
        self._sequence = itertools.count()
        self._busy = 0
        self._dirty = True
        self._stopping = False
        self._housekept = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, grace: float = 2.0) -> None:
        """Stop scheduling and wait up to `grace` s for deliveries in flight; others are
        abandoned and their tasks go out again after a restart."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(grace)
        deadline = time.monotonic() + grace
        with self._cond:
            while self._busy and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
        self._pool.stop()

    def wake(self, queues_changed: bool = False) -> None:
        """Re-plan now: a task was added, or (queues_changed) a queue was created or changed."""
        with self._cond:
            self._dirty = self._dirty or queues_changed
            self._cond.notify()

    def run_now(self, name: str) -> tasks_v2.Task:
        """RunTask: deliver the task now, whatever the queue's limits or pause; raises NotFound."""
        task = self._store.lease(name)
        if task is None:
            raise NotFound(f"task {name} does not exist")
        with self._cond:
            state = self._queues.get(names.queue_of(name))
            policy = state.policy if state else RetryPolicy()
            self._submit(Attempt(task, policy, counted=False))
        return task

    # The scheduler thread

    def _loop(self) -> None:
        with self._cond:
            while not self._stopping:
                now = self._clock()
                try:
                    wake_at = self._plan(now)
                except Exception:  # keep scheduling; the next round may well succeed
                    log.exception("scheduling failed; retrying in 1 s")
                    wake_at = now + 1.0
                pause = MAX_SLEEP if wake_at is None else min(MAX_SLEEP, wake_at - now)
                self._cond.wait(max(0.001, pause))

    def _plan(self, now: float) -> float | None:
        if self._dirty:
            self._reload(now)
        self._housekeeping(now)
        return self._dispatch_due(now)

    def _reload(self, now: float) -> None:
        self._dirty = False
        fresh: dict[str, QueueState] = {}
        for queue in self._store.list_queues():
            limits = queue.rate_limits
            rate, burst = limits.max_dispatches_per_second, limits.max_burst_size
            state = self._queues.get(queue.name)
            if state is None:
                state = QueueState(TokenBucket.full(rate, burst, now), 0, RetryPolicy(), False)
            else:
                state.bucket.reshape(rate, burst, now)
            state.concurrency = limits.max_concurrent_dispatches
            state.policy = queues.policy(queue)
            state.paused = queue.state != tasks_v2.Queue.State.RUNNING
            fresh[queue.name] = state
        self._queues = fresh

    def _housekeeping(self, now: float) -> None:
        if now - self._housekept >= HOUSEKEEPING_EVERY:
            self._housekept = now
            self._store.forget_tombstones(self._window.expired_before(now))

    def _dispatch_due(self, now: float) -> float | None:
        """Send what may go now; return when something next may (None: only on a wake-up)."""
        wakes = [self._dispatch_queue(name, state, now) for name, state in self._queues.items()]
        while self._pending_duplicates and self._pending_duplicates[0][0] <= now:
            self._submit(heapq.heappop(self._pending_duplicates)[2])
        if self._pending_duplicates:
            wakes.append(self._pending_duplicates[0][0])
        return min((wake for wake in wakes if wake is not None), default=None)

    def _dispatch_queue(self, name: str, state: QueueState, now: float) -> float | None:
        if state.paused:
            return None
        room = min(state.concurrency - state.in_flight, state.bucket.available(now))
        if room > 0:
            for task in self._store.lease_due(name, now, room):
                state.bucket.take(now)
                state.in_flight += 1
                self._submit(Attempt(task, state.policy, counted=True))
        if state.in_flight >= state.concurrency:
            return None  # a finished delivery wakes the scheduler
        due = self._store.next_due(name)
        if due is None:
            return None
        return due if due > now else now + state.bucket.wait(now)

    def _submit(self, attempt: Attempt) -> None:
        self._busy += 1
        self._pool.submit(lambda: self._run(attempt))

    # The worker threads

    def _run(self, attempt: Attempt) -> None:
        outcome = delivery.Outcome(None, "not sent")
        try:
            started = self._clock()
            outcome = self._deliver(delivery.request_for(attempt.task, self._sign))
            self._settle(attempt, outcome, started, self._clock())
        except sqlite3.ProgrammingError:  # the store closed under an abandoned delivery
            if not self._stopping:
                raise
        except Exception:
            log.exception("dispatch of %s failed; it will be retried", attempt.task.name)
            self._store.release(attempt.task.name)
        finally:
            self._done(attempt, outcome)

    def _settle(
        self, attempt: Attempt, outcome: delivery.Outcome, started: float, ended: float
    ) -> None:
        dispatch = Dispatch(
            task=attempt.task.name,
            queue=attempt.queue,
            attempt=attempt.number,
            started=started,
            duration=ended - started,
            status=outcome.status,
            error=outcome.error,
            duplicate=attempt.duplicate,
        )
        log.debug("%s", dispatch)
        if attempt.duplicate:
            self._store.record(dispatch)
            return
        result = attempts.settle(attempt, outcome, started, ended)
        if result.retry_at is not None:
            self._store.reschedule(result.task, result.retry_at, dispatch)
            return
        self._store.finish(result.task.name, ended, replace(dispatch, dropped=result.dropped))
        if result.dropped:
            last = outcome.error or f"HTTP {outcome.status}"
            log.warning(
                "dropped task %s after %d attempts; last: %s", dispatch.task, dispatch.attempt, last
            )

    def _done(self, attempt: Attempt, outcome: delivery.Outcome) -> None:
        with self._cond:
            self._busy -= 1
            state = self._queues.get(attempt.queue)
            if attempt.counted and state is not None:
                state.in_flight = max(0, state.in_flight - 1)
            if outcome.ok and not attempt.duplicate and self._random.random() < self._duplicates:
                when = self._clock() + self._random.uniform(*DUPLICATE_DELAY)
                again = replace(attempt, counted=False, duplicate=True)
                heapq.heappush(self._pending_duplicates, (when, next(self._sequence), again))
            self._cond.notify_all()
