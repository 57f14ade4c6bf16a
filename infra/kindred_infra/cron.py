"""The local stand-in for Cloud Scheduler: POST to each cron function at its interval.

Usage: python -m kindred_infra.cron NAME=URL@SECONDS [...]
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    url: str
    every: float


def parse_job(text: str) -> Job:
    """`NAME=URL@SECONDS`; raises ValueError naming what is wrong."""
    name, _, rest = text.partition("=")
    url, _, every = rest.rpartition("@")
    if not name or not url.startswith("http") or not every:
        raise ValueError(f"expected NAME=URL@SECONDS, not {text!r}")
    return Job(name, url, float(every))


def fire(job: Job) -> str:
    request = urllib.request.Request(job.url, data=b"{}", method="POST",
                                     headers={"content-type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return f"{job.name}: {response.status} {response.read(300).decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as error:
        return f"{job.name}: failed: {error}"


def main(argv: list[str]) -> int:
    jobs = [parse_job(arg) for arg in argv]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    due = {job.name: time.monotonic() + job.every for job in jobs}
    print(f"cron: {', '.join(f'{j.name} every {j.every:g} s' for j in jobs)}", flush=True)
    while not stop.is_set():
        for job in jobs:
            if time.monotonic() >= due[job.name]:
                print(fire(job), flush=True)
                due[job.name] = time.monotonic() + job.every
        stop.wait(max(0.05, min(due.values(), default=time.monotonic() + 1) - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
