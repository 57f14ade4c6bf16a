"""Figure 5, the cost of one continuation: tasks per second the local stack completes with no
upstream limit, beside a bare functions-framework call, and where a continuation's time goes.

A continuation is one Cloud Task that makes one upstream call and enqueues the next step. With
the graph server unlimited and the upstream queue opened wide, only the stack's own machinery
bounds the rate. Three measurements, in one run:

1. the stack: analyse a bundled account, count the tasks, and charge each stack process (by
   process group, from /proc) the CPU it spent per task;
2. the baseline: a trivial functions-framework function, started as the stack starts its
   functions and hit through the emulator's own delivery code at the queue's concurrency;
3. the profile: this process plays the paused queue's dispatcher, running the real tasks handler
   in-process (Flask test client, so without gunicorn's HTTP parsing) on the real tasks of an
   analysis under cProfile, and sums the handler's time by what it was doing; a near-identical
   analysis driven without the profiler gives the unprofiled time per task.

The machine has two cores shared with whatever else runs: the numbers are indicative.

Run alone: `python -m bench.continuation [--quick]`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import inspect
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import flask
import functions_framework
from flask.testing import FlaskClient
from google.cloud import tasks_v2

from bench.figures import Figure
from bench.report import table
from bench.stack import BenchStack, group_cpu, running_stack
from kindred import bootstrap
from kindred.adapters import clients
from kindred.adapters.bluesky import BlueskyGraph
from kindred.adapters.cloud_tasks import CloudTaskQueue
from kindred.adapters.firestore_store import FirestoreJobStore
from kindred.adapters.gcs_blobs import GcsBlobStore
from kindred.core import tally
from kindred.services import crawl
from kindred.web import task_auth
from kindred.web import tasks as task_steps
from kindred_infra import paths
from kindred_infra.process import (
    Service,
    free_port,
    port_open,
    running,
)
from kindred_infra.stack.plan import tasks_signing_key
from kindred_infra.tasks_emulator import oidc
from kindred_infra.tasks_emulator.delivery import Request, deliver, request_for

ACCOUNT = "u115485051.ego-twitter.test"  # the bundled graph's most-followed account
QUEUE = "upstream-local"
RATE = 500.0  # dispatches/s: far above what two cores can run, so the queue never paces
CONCURRENCY = 20  # queue.yaml's max_concurrent_requests for upstream-local
BARE_SOURCE = 'def hello(request):\n    return "ok"\n'
PARTS = {  # stack part -> the label its CPU is reported under
    "function:tasks": "tasks function",
    "tasks": "Cloud Tasks emulator",
    "firestore": "Firestore emulator",
    "graph": "graph server",
    "storage": "Storage emulator",
}

# What a continuation waits on: (source file, function names) whose cumulative time it is,
# taken from the functions themselves, so a rename or a move fails here, not silently.
Where = tuple[str, frozenset[str]]


def where(*functions: Callable[..., object]) -> Where:
    files = {inspect.getsourcefile(inspect.unwrap(function)) for function in functions}
    if len(files) != 1 or None in files:
        raise ValueError(f"one source file per category, not {files}")
    return str(files.pop()), frozenset(function.__name__ for function in functions)


UPSTREAM = where(BlueskyGraph.followers, BlueskyGraph.follows, BlueskyGraph.profiles)
FIRESTORE = where(
    FirestoreJobStore.create, FirestoreJobStore.get, FirestoreJobStore.update,
    FirestoreJobStore.count, FirestoreJobStore.totals, FirestoreJobStore.list,
    FirestoreJobStore.query,
)  # fmt: skip
ENQUEUE = where(CloudTaskQueue.enqueue)
STORAGE = where(GcsBlobStore.write, GcsBlobStore.write_json, GcsBlobStore.read, GcsBlobStore.stream)
TOKEN = where(task_auth.verify_task_request)
DECODE = where(tally.decode_text)
ENCODE = where(tally.encode, tally.as_text)
CRAWL = where(crawl.followers_step, crawl.follows_step)
DUMPS = where(json.dumps)
GET_JSON = where(flask.Request.get_json)
HANDLE = where(task_steps.handle)


@dataclass(frozen=True)
class StackRun:
    """One analysis on the stack: its tasks, wall time, crawl phase and CPU per task by part."""

    tasks: int
    seconds: float
    crawl_tasks: int
    crawl_seconds: float
    in_flight: float  # mean dispatches in flight during the crawl
    median_ms: float  # one delivery, as the emulator timed it
    cpu_ms: dict[str, float]  # CPU ms per task, by part label
    cores: float  # the stack's CPU seconds per wall second during the analysis


@dataclass(frozen=True)
class ChainProfile:
    """Continuations run in-process: their time unprofiled, and by category under cProfile."""

    tasks: int
    plain_ms: float  # mean handler time, unprofiled
    profiled_ms: float
    body_bytes: float  # mean task body size
    max_body_bytes: int
    categories: dict[str, float]  # ms per task (profiled), framework and other included
    top: list[tuple[str, float]] = field(default_factory=list)  # self time, ms per task


def measure_stack(bench: BenchStack, max_followers: int) -> StackRun:
    cpu_before = bench.cpu_seconds()
    analysis = bench.analyse(ACCOUNT, {"max_followers": max_followers}, timeout=600)
    seconds = analysis.seconds
    cpu_after = bench.cpu_seconds()
    tasks = int(analysis.cost["tasks"])
    spent = {name: cpu_after[name] - cpu_before[name] for name in bench.groups}
    cpu_ms = {label: spent.pop(part) * 1000 / tasks for part, label in PARTS.items()}
    cpu_ms["rest of the stack"] = sum(spent.values()) * 1000 / tasks
    crawl = [d for d in bench.dispatches(analysis.id) if "-profiles-" not in d.task_id]
    window = max(d.started + d.duration for d in crawl) - min(d.started for d in crawl)
    return StackRun(
        tasks=tasks,
        seconds=seconds,
        crawl_tasks=len(crawl),
        crawl_seconds=window,
        in_flight=sum(d.duration for d in crawl) / window,
        median_ms=statistics.median(d.duration for d in crawl) * 1000,
        cpu_ms=cpu_ms,
        cores=sum(cpu_ms.values()) * tasks / 1000 / seconds,
    )


@contextlib.contextmanager
def stack_environment(env: dict[str, str]) -> Iterator[None]:
    """This process configured as the stack's functions are, with fresh settings and clients."""
    saved = dict(os.environ)
    os.environ.update(env)
    _forget_clients()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _forget_clients()


def _forget_clients() -> None:
    bootstrap.settings.cache_clear()
    for cached in (clients.firestore_client, clients.storage_client, clients.tasks_client):
        cached.cache_clear()


def next_task(client: tasks_v2.CloudTasksClient, queue: str, prefix: str) -> tasks_v2.Task | None:
    """The oldest crawl task of the analysis waiting in the paused queue, taken out of it."""
    waiting = [
        task
        for task in client.list_tasks(
            request=tasks_v2.ListTasksRequest(parent=queue, response_view=tasks_v2.Task.View.FULL)
        )
        if task.name.rsplit("/", 1)[-1].startswith(prefix) and "-profiles-" not in task.name
    ]
    if not waiting:
        return None
    task = min(waiting, key=lambda t: tasks_v2.Task.pb(t).create_time.ToNanoseconds())
    client.delete_task(name=task.name)
    return task


def profile_chain(bench: BenchStack, followers: int) -> ChainProfile:
    """Drive one analysis's crawl under cProfile, and a nearly equal one (a follower fewer,
    so not the same analysis) without it, for the profiler's overhead."""
    profiler = cProfile.Profile()
    profiled = drive(bench, followers, profiler)
    plain = drive(bench, followers - 1)
    per_task = 1000 / len(profiled)
    seconds = [took for took, _ in profiled]
    sizes = [size for _, size in profiled]
    stats = pstats.Stats(profiler)
    return ChainProfile(
        tasks=len(profiled),
        plain_ms=statistics.mean(took for took, _ in plain) * 1000,
        profiled_ms=statistics.mean(seconds) * 1000,
        body_bytes=statistics.mean(sizes),
        max_body_bytes=max(sizes),
        categories={name: ms * per_task for name, ms in categories(stats, sum(seconds)).items()},
        top=[(name, ms * per_task) for name, ms in self_time(stats, 8)],
    )


def drive(
    bench: BenchStack, followers: int, profiler: cProfile.Profile | None = None
) -> list[tuple[float, int]]:
    """Play the paused queue's dispatcher for a fresh analysis's crawl, running its tasks
    in-process; (handler seconds, body bytes) of each task."""
    client, queue = bench.queue()
    client.pause_queue(name=queue)
    analysis = bench.api().submit(ACCOUNT, "local", {"max_followers": followers})["id"]
    key = oidc.SigningKey.load(tasks_signing_key(bench.home))

    def sign(audience: str, email: str) -> str:  # as the emulator signs (its --oidc-key-file)
        return key.sign(audience, email, time.time())

    done: list[tuple[float, int]] = []
    with stack_environment(bench.env):
        handler = functions_framework.create_app("tasks", str(paths.FUNCTIONS_SOURCE / "main.py"))
        test_client = handler.test_client()
        while (task := next_task(client, queue, analysis)) is not None:
            request = request_for(task, sign)
            with _enabled(profiler):
                done.append((dispatch(test_client, request), len(request.body)))
    return done


@contextlib.contextmanager
def _enabled(profiler: cProfile.Profile | None) -> Iterator[None]:
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def dispatch(client: FlaskClient, request: Request) -> float:
    """Seconds the tasks handler took to answer the request, as functions-framework runs it."""
    path = urllib.parse.urlsplit(request.url).path
    began = time.perf_counter()
    answer = client.post(path, data=request.body, headers=request.headers)
    seconds = time.perf_counter() - began
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}: {answer.get_data()!r}")
    return seconds


def _matches(key: tuple[str, int, str], where: Where) -> bool:
    file, names = where
    return key[2] in names and key[0] == file


def cumulative(stats: pstats.Stats, callee: Where, caller: Where | None = None) -> float:
    """Seconds spent in `callee` and below; with `caller`, only in the calls it made."""
    total = 0.0
    for key, (_cc, _nc, _tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if not _matches(key, callee):
            continue
        if caller is None:
            total += ct
        else:
            total += sum(edge[3] for who, edge in callers.items() if _matches(who, caller))
    return total


def categories(stats: pstats.Stats, total: float) -> dict[str, float]:
    """Seconds of handler time by what it was doing; the rest is functions-framework and Flask."""
    dumps = cumulative(stats, DUMPS, ENQUEUE)
    found = {
        "upstream HTTP call": cumulative(stats, UPSTREAM),
        "Firestore": cumulative(stats, FIRESTORE),
        "Cloud Tasks create (gRPC)": cumulative(stats, ENQUEUE) - dumps,
        "Cloud Storage": cumulative(stats, STORAGE),
        "token verification": cumulative(stats, TOKEN),
        "tally decode (base64, zlib, parse)": cumulative(stats, DECODE, CRAWL),
        "tally encode (sort, zlib, base64)": cumulative(stats, ENCODE, CRAWL),
        "payload JSON": dumps + cumulative(stats, GET_JSON, HANDLE),
    }
    found["framework and other"] = total - sum(found.values())
    return found


def self_time(stats: pstats.Stats, count: int) -> list[tuple[str, float]]:
    """The functions with the most time of their own (seconds), named file:function."""
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:count]  # type: ignore[attr-defined]
    return [(f"{Path(key[0]).name}:{key[2]}", row[2]) for key, row in rows]


def measure_bare(folder: Path, body_bytes: int, seconds: float) -> tuple[float, float]:
    """Requests/s and CPU ms per request of a trivial function, at the queue's concurrency."""
    (folder / "main.py").write_text(BARE_SOURCE)
    port = free_port()
    argv = [str(Path(sys.executable).parent / "functions-framework")]
    argv += ["--target", "hello", "--source", str(folder / "main.py")]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    service = Service(
        "bare function",
        argv,
        folder / "bare.log",
        healthy=lambda: port_open("127.0.0.1", port),
        cwd=folder,
    )
    body = b'{"pad":"' + b"x" * max(0, body_bytes - 10) + b'"}'
    request = Request(
        "POST",
        f"http://127.0.0.1:{port}/follows",
        {"Content-Type": "application/json", "Authorization": "Bearer " + "t" * 300},
        body,
        30.0,
    )
    with running(service):
        assert service.pid is not None
        deliver(request)  # the first request imports and loads the function
        cpu_before = group_cpu({"bare": service.pid})["bare"]
        done = hammer(request, CONCURRENCY, seconds)
        cpu = group_cpu({"bare": service.pid})["bare"] - cpu_before
    return done / seconds, cpu * 1000 / max(done, 1)


def hammer(request: Request, concurrency: int, seconds: float) -> int:
    """Successful deliveries of `request` from `concurrency` threads in `seconds`."""
    deadline, counts = time.monotonic() + seconds, [0] * concurrency

    def worker(slot: int) -> None:
        while time.monotonic() < deadline:
            counts[slot] += deliver(request).ok

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts)


def run(quick: bool) -> list[Figure]:
    """The figure's measurements, on one stack, then the bare function once the stack is down."""
    # Followers come in groups of 100, one chain each: 300 keep 3 tasks in flight, 1000 keep 10.
    max_followers = 300 if quick else 1000
    with running_stack(rate_limit="0") as bench:
        bench.set_queue(RATE, CONCURRENCY, burst=50)
        crawl = measure_stack(bench, max_followers)
        chain = profile_chain(bench, 100 if quick else 200)
    with tempfile.TemporaryDirectory(prefix="kindred-bench-continuation-") as tmp:
        folder = Path(tmp)
        bare, bare_cpu = measure_bare(folder, int(chain.body_bytes), 4.0 if quick else 10.0)
    return figures(crawl, chain, bare, bare_cpu, max_followers)


def figures(
    crawl: StackRun, chain: ChainProfile, bare: float, bare_cpu: float, max_followers: int
) -> list[Figure]:
    return stack_figures(crawl, bare, bare_cpu, max_followers) + profile_figures(chain, crawl)


def stack_figures(
    crawl: StackRun, bare: float, bare_cpu: float, max_followers: int
) -> list[Figure]:
    params = {
        "account": ACCOUNT,
        "max_followers": max_followers,
        "queue": f"{RATE:g}/s, {CONCURRENCY} concurrent",
        "tasks": crawl.tasks,
        "seconds": round(crawl.seconds, 2),
        "in_flight": round(crawl.in_flight, 1),
        "median_delivery_ms": round(crawl.median_ms, 1),
        "stack_cores_busy": round(crawl.cores, 2),
        "cpus": os.cpu_count(),
    }
    label = f"bare functions-framework call/s ({CONCURRENCY} concurrent)"
    cpu = {name: round(ms, 2) for name, ms in crawl.cpu_ms.items()}
    return [
        Figure("continuation tasks/s (no upstream limit)", crawl.tasks / crawl.seconds,
               "tasks/s", bare, label, params),
        Figure("crawl-phase tasks/s (dispatch log)", crawl.crawl_tasks / crawl.crawl_seconds,
               "tasks/s", bare, label, {"crawl_tasks": crawl.crawl_tasks}),
        Figure("stack CPU per continuation", sum(crawl.cpu_ms.values()), "CPU ms per task",
               bare_cpu, "bare call's CPU ms", cpu),
        *(Figure(f"CPU per task: {name}", ms, "CPU ms per task") for name, ms in cpu.items()),
    ]  # fmt: skip


def profile_figures(chain: ChainProfile, crawl: StackRun) -> list[Figure]:
    params = {
        "tasks_driven": chain.tasks,
        "body_bytes": round(chain.body_bytes),
        "max_body_bytes": chain.max_body_bytes,
        "profiled_ms": round(chain.profiled_ms, 2),
        "conclusion": conclusion(chain, crawl),
        "top_self_ms": {name: round(ms, 2) for name, ms in chain.top},
    }
    return [
        Figure("one continuation in-process (unprofiled)", chain.plain_ms, "ms per task",
               params=params),
        *(Figure(f"profile: {name}", 100 * ms / chain.profiled_ms, "% of task time",
                 params={"ms_per_task_profiled": round(ms, 2)})
          for name, ms in chain.categories.items()),
    ]  # fmt: skip


def conclusion(chain: ChainProfile, crawl: StackRun) -> str:
    """One line: what a continuation's time goes to, and which process the stack's CPU goes to."""
    shares = {n: ms / chain.profiled_ms for n, ms in chain.categories.items() if "tally" not in n}
    shares["carrying the tally (decode + encode)"] = (
        sum(ms for n, ms in chain.categories.items() if "tally" in n) / chain.profiled_ms
    )
    top = max(shares, key=shares.__getitem__)
    busiest = max(crawl.cpu_ms, key=crawl.cpu_ms.__getitem__)
    return (
        f"dominated by {top}: {shares[top]:.0%} of the handler's profiled time "
        f"(most self time: {chain.top[0][0]}); the stack's CPU goes mostly to the {busiest} "
        f"({crawl.cpu_ms[busiest]:.1f} of {sum(crawl.cpu_ms.values()):.1f} CPU ms per task), "
        f"one Python process, which caps the stack near {1000 / crawl.cpu_ms[busiest]:.0f} tasks/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    figures = run(args.quick)
    print(table(figures))
    print("\nstack run:", figures[0].params)
    for f in figures:
        if "conclusion" in f.params:
            print(f.params["conclusion"])
            print("most self time (ms per task, profiled):", f.params["top_self_ms"])
    print(
        f"\nwhole figure ({'quick' if args.quick else 'full'}): {time.perf_counter() - began:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
