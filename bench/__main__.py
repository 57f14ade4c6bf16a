"""`make bench` / `make bench-quick`: every figure in one run, printed as a table and kept in
`bench/results.json`, the plots in `bench/growth.png` and `bench/progressive.png`, and the table
in `bench/README.md`.

`python -m bench --only PART[,PART]` measures just those parts and keeps every other part's
figures from the run that measured them (each part's command and time are kept beside its
figures), so a new figure does not cost the 30 minutes of the others.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    aggregation,
    cloud_cost,
    collection,
    continuation,
    crawl,
    export,
    fast,
    media_serving,
    plot,
    progressive,
    pull,
    report,
    reuse,
)
from bench.figures import Figure, Part, read_parts, write_parts

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"


def _analyses(quick: bool) -> list[Figure]:
    """Figures 1, 2, 3, 6 and 7: the analyses, their cloud cost and the growth plot."""
    figures, runs = crawl.run(quick)
    by_label = {run.label: run for run in runs}
    growth = [run for run in runs if run.label.startswith("synthetic")]
    plot.growth(growth, HERE / "growth.png")
    return [*figures, cloud_cost.figure(by_label["fault-free"]), cloud_cost.figure(growth[-1])]


# The parts in the order they run and are tabled: name, what it measures, how.
PARTS: dict[str, tuple[str, Callable[[bool], list[Figure]]]] = {
    "analyses": ("analyses (figures 1, 2, 3, 6, 7)", _analyses),
    "aggregation": ("aggregation (figure 4)", aggregation.run),
    "continuation": ("continuation (figure 5)", continuation.run),
    "collection": ("collection (figures 8-12)", collection.run),
    "media": ("media serving (figure 13)", media_serving.run),
    "export": ("export (figures 14-15)", export.run),
    "pull": ("pull (figures 16-17)", pull.run),
    "progressive": ("progressive results (figures 18-21)", progressive.run),
    "reuse": ("follows reuse (figures 22-24)", reuse.run),
    "fast": ("fast mode and the weighted score (figures 25-27)", fast.run),
}


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


def _chosen(only: str | None) -> list[str]:
    if not only:
        return list(PARTS)
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in PARTS]
    if unknown or not names:
        raise SystemExit(
            f"python -m bench: --only {only!r}: unknown part(s) {', '.join(unknown) or '(none)'}; "
            f"the parts are: {', '.join(PARTS)}"
        )
    return [name for name in PARTS if name in names]


def _keep(parts: dict[str, Part]) -> None:
    in_order = {name: parts[name] for name in PARTS if name in parts}
    write_parts(RESULTS, in_order)
    report.update_readme(HERE / "README.md", in_order)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: about 5 minutes")
    parser.add_argument(
        "--only",
        metavar="PART[,PART]",
        help=f"measure only these parts, keep the others' figures ({', '.join(PARTS)})",
    )
    args = parser.parse_args(argv)
    chosen = _chosen(args.only)
    command = "make bench-quick" if args.quick else "make bench"
    if args.only:
        command = f"python -m bench{' --quick' if args.quick else ''} --only {','.join(chosen)}"
    began = time.perf_counter()
    kept = read_parts(RESULTS)  # each part measured replaces its own figures, as it ends
    measured: dict[str, Part] = {}
    for name in chosen:
        label, run = PARTS[name]
        print(f"[{time.perf_counter() - began:6.0f} s] {label} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        figures = run(args.quick)
        measured[name] = Part(
            command=command,
            mode="quick" if args.quick else "full",
            finished=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - start, 1),
            machine=machine(),
            figures=figures,
        )
        _keep({**kept, **measured})  # at once: a later part that fails loses no figure
    fresh = [figure for name in chosen for figure in measured[name].figures]
    print(report.table(fresh))
    print(
        f"\n{command}: {time.perf_counter() - began:.0f} s; bench/results.json and the table in "
        "bench/README.md written"
    )
    missed = [f.name for f in fresh if f.met is False]
    if missed:
        print("missed targets: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
