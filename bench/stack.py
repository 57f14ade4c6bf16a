"""A local stack for one benchmark run: on free ports, its queue set as the figure needs, its
processes' CPU and peak memory read from /proc, and always stopped again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2

from kindred_infra import stack, tasks_emulator
from kindred_infra.client import KindredApi
from kindred_infra.stack.control import read_env_file

UPSTREAM_QUEUE = "upstream-local"


@dataclass
class BenchStack:
    """A running stack: its environment (`stack.env`), home and each part's process group."""

    env: dict[str, str]
    home: Path
    groups: dict[str, int]  # part name -> pid, which leads the part's process group

    def set_queue(
        self, rate: float, concurrency: int = 20, burst: int = 20, name: str = UPSTREAM_QUEUE
    ) -> None:
        """A queue's rate limits, as `gcloud tasks queues update` would set them."""
        client, queue = self.queue(name)
        limits = tasks_v2.RateLimits(
            max_dispatches_per_second=rate,
            max_burst_size=burst,
            max_concurrent_dispatches=concurrency,
        )
        client.update_queue(
            queue=tasks_v2.Queue(name=queue, rate_limits=limits),
            update_mask=field_mask_pb2.FieldMask(paths=["rate_limits"]),
        )

    def queue(self, name: str = UPSTREAM_QUEUE) -> tuple[tasks_v2.CloudTasksClient, str]:
        client = tasks_emulator.client(self.env["CLOUD_TASKS_EMULATOR_HOST"])
        parent = (
            f"projects/{self.env['GOOGLE_CLOUD_PROJECT']}/locations/{self.env['KINDRED_LOCATION']}"
        )
        return client, f"{parent}/queues/{name}"

    def api(self) -> KindredApi:
        return KindredApi(self.env["KINDRED_API_URL"], self.env["KINDRED_API_KEY"])

    def analyse(self, account: str, options: dict[str, Any], timeout: float = 3600) -> Analysis:
        """Submit, wait for the result, and time it from submission to done."""
        api = self.api()
        began = time.time()
        submitted = api.submit(account, "local", options)
        result = api.wait(submitted["id"], lambda _: None, every=0.5, timeout=timeout)
        return Analysis(submitted["id"], result, began, time.time())

    def graph_stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.env["KINDRED_GRAPH_URL"] + "/_stats") as response:
            return json.loads(response.read())

    def dispatches(self, analysis: str, queue: str = UPSTREAM_QUEUE) -> list:
        """The emulator's log of this analysis's deliveries on a queue, oldest first."""
        return [
            d
            for d in tasks_emulator.read_dispatches(self.home / "tasks", queue)
            if d.task_id.startswith(analysis)
        ]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds so far of every process in each part's process group."""
        return group_cpu(self.groups)

    def peak_rss_mb(self, part: str) -> float:
        """The largest peak RSS (VmHWM) of any process of a part, in MB."""
        return max((hwm for hwm in _group_hwm(self.groups[part])), default=0.0) / 1024


@dataclass(frozen=True)
class Analysis:
    id: str
    result: dict[str, Any]
    submitted_at: float
    done_at: float

    @property
    def seconds(self) -> float:
        return self.done_at - self.submitted_at

    @property
    def cost(self) -> dict[str, int]:
        return self.result["cost"]


@contextlib.contextmanager
def running_stack(**options: Any) -> Iterator[BenchStack]:
    """`kindred up` with these StackOptions in a temporary home on free ports; always stopped."""
    with tempfile.TemporaryDirectory(prefix="kindred-bench-") as tmp, _term_exits():
        home = Path(tmp) / "home"
        try:
            record = stack.up(stack.StackOptions(home=home, ports=stack.free_ports(), **options))
            yield BenchStack(read_env_file(home), home, {p.name: p.pid for p in record.parts})
        finally:
            stack.down(home)


@contextlib.contextmanager
def _term_exits() -> Iterator[None]:
    """SIGTERM (`kill`, a CI timeout) raises SystemExit, so the `finally` above still stops the
    stack: the default action would end the bench and leave nine processes behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def group_cpu(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of every process in each process group (a part and its children)."""
    names = {pgid: name for name, pgid in groups.items()}
    spent = dict.fromkeys(groups, 0.0)
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            name = names.get(int(fields[2]))  # pgrp
            if name is not None:
                spent[name] += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return spent


def _group_hwm(pgid: int) -> Iterator[float]:
    """VmHWM in KiB of each process in a process group."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rpartition(")")[2].split()[2]) != pgid:
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    yield float(line.split()[1])
