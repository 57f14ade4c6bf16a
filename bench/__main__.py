"""`make bench` / `make bench-quick`: every figure in one run, printed as a table and kept in
`bench/results.json`, the growth plot in `bench/growth.png` and the table in `bench/README.md`.

The figures run one after another, never beside each other: the machine's two cores are
part of what is measured.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import (
    aggregation,
    cloud_cost,
    collection,
    continuation,
    crawl,
    export,
    media_serving,
    plot,
    report,
)
from bench.figures import Figure, write

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if "model name" in line),
        platform.processor() or "unknown",
    )
    memory = next((line.split()[1] for line in _lines("/proc/meminfo") if "MemTotal" in line), "0")
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(int(memory) / 2**20, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: about 5 minutes")
    args = parser.parse_args(argv)
    command = "make bench-quick" if args.quick else "make bench"
    began = time.perf_counter()
    figures: list[Figure] = []
    timings: dict[str, float] = {}

    def timed(name: str, action):
        print(f"[{time.perf_counter() - began:6.0f} s] {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        value = action()
        timings[name] = round(time.perf_counter() - start, 1)
        return value

    crawl_figures, runs = timed("analyses (figures 1, 2, 3, 6)", lambda: crawl.run(args.quick))
    figures += crawl_figures
    figures += timed("aggregation (figure 4)", lambda: aggregation.run(args.quick))
    figures += timed("continuation (figure 5)", lambda: continuation.run(args.quick))
    figures += timed("collection (figures 8-12)", lambda: collection.run(args.quick))
    figures += timed("media serving (figure 13)", lambda: media_serving.run(args.quick))
    figures += timed("export (figures 14-15)", lambda: export.run(args.quick))
    by_label = {run.label: run for run in runs}
    growth = [run for run in runs if run.label.startswith("synthetic")]
    figures += [cloud_cost.figure(by_label["fault-free"]), cloud_cost.figure(growth[-1])]

    meta = {
        "command": command,
        "mode": "quick" if args.quick else "full",
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - began, 1),
        "seconds_by_part": timings,
        "machine": machine(),
    }
    write(figures, HERE / "results.json", meta)
    plot.growth(growth, HERE / "growth.png")
    text = report.table(figures)
    report.update_readme(HERE / "README.md", meta, text)
    print(text)
    print(f"\n{command}: {meta['seconds']:.0f} s; bench/results.json, bench/growth.png written")
    missed = [f.name for f in figures if f.met is False]
    if missed:
        print("missed targets: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
