"""Figures 1, 2, 3 and 6: what whole analyses spend, each on a fresh local stack.

1. upstream calls / the theoretical minimum (`kindred_infra.minimum`) for the bundled graph's
   largest account: fault-free, with `--faults 0.1`, with `--duplicates 0.1`;
2. Firestore writes against the seed's scheme, which wrote once per follower whose follows it
   fetched, plus the request's bookkeeping (the request, its five later stages, the result);
3. rate-limit use: upstream calls per second during the crawl / the queue's rate, at 20/s and
   100/s, with the graph server limiting at 1.25x and 1.1x the queue's rate, and its count of
   429s, none of which the pipeline may provoke;
6. growth: calls, writes, wall time at 125/s and the tasks function's peak RSS for synthetic
   accounts of 1k, 10k and 100k followers (`kindred_infra.synthetic`), with two tasks-function
   workers: one Python process tops out near 155 tasks/s on 2 cores, too close to 125/s.

The runs take turns, each with the machine to itself, but for one: the largest account under
`--faults 0.1` is paced by the injected 429 bursts (1-3 s each, on 2.5% of calls: about 12
calls/s, a tenth of a core), not by the machine, and at 6 minutes it would not leave the full
run under 30; it runs beside the growth runs, whose rate and steady rate the figures show.

Run alone: `python -m bench.crawl [--quick]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.figures import Figure
from bench.report import table
from bench.stack import Analysis, running_stack
from kindred.core.options import AnalysisOptions
from kindred_infra import paths, synthetic
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.minimum import minimum_calls

LARGEST = 115485051  # the bundled graph's most-followed account (3,383 followers)
FAST = 100.0  # dispatches/s: the fixed rate of the largest account's runs but the 20/s one
GROWTH_RATE = 125.0  # dispatches/s of the growth runs
GROWTH_WORKERS = 2
SEED_BOOKKEEPING = 7  # the seed's writes per request besides its followers': see the docstring
FAULTS = {"fault_seed": 7, "upstream_timeout": 2.0, "slow_seconds": 3.0}


@dataclass(frozen=True)
class Run:
    """One analysis on its own stack, with what the stack saw of it."""

    label: str
    account: str
    options: dict[str, int]
    rate: float
    analysis: Analysis
    minimum: int
    graph_requests: int  # as the graph server counted them
    throttled: int  # 429s the graph server answered
    crawl_rate: float  # upstream deliveries per second, first to last crawl delivery
    steady_rate: float  # the same over the middle 80% of the crawl's deliveries
    peak_rss_mb: float  # the tasks function's largest process
    deliveries: tuple[float, ...]  # seconds each delivery of the analysis took, every queue
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def cost(self) -> dict[str, int]:
        return self.analysis.cost

    @property
    def result(self) -> dict[str, Any]:
        return self.analysis.result

    def params(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "options": self.options,
            "queue_rate": self.rate,
            "followers_analyzed": self.result["followers_analyzed"],
            "coverage": self.result["coverage"],
            "seconds": round(self.analysis.seconds, 1),
            "cost": self.cost,
            "minimum_calls": self.minimum,
            "graph_requests": self.graph_requests,
            **self.settings,
        }


def analyse(
    label: str,
    account: int,
    options: dict[str, int],
    rate: float = FAST,
    graph: Path | None = None,
    **stack_options: Any,
) -> Run:
    """Analyse `account` on a fresh stack whose upstream queue runs at `rate`."""
    graph_path = graph or paths.DEFAULT_GRAPH
    dataset = graph_path.parent.name if graph else "ego-twitter"
    full = {**AnalysisOptions().as_dict(), **options}
    minimum = minimum_calls(load_graph(graph_path), account, full)
    stack_options.setdefault("rate_limit", "0")
    with running_stack(graph=graph, **stack_options) as bench:
        bench.set_queue(rate)
        before = bench.graph_stats()
        analysis = bench.analyse(f"u{account}.{dataset}.test", options)
        after = bench.graph_stats()
        crawl = sorted(
            d.started for d in bench.dispatches(analysis.id) if "-profiles-" not in d.task_id
        )
        peak = bench.peak_rss_mb("function:tasks")
        deliveries = tuple(
            d.duration
            for queue in ("upstream-local", "pipeline")
            for d in bench.dispatches(analysis.id, queue)
        )
    return Run(
        label=label,
        account=f"u{account}.{dataset}.test",
        options=options,
        rate=rate,
        analysis=analysis,
        minimum=minimum,
        graph_requests=after["requests"] - before["requests"],
        throttled=after["throttled"] - before["throttled"],
        crawl_rate=_rate(crawl),
        steady_rate=_rate(crawl[len(crawl) // 10 : len(crawl) - len(crawl) // 10]),
        peak_rss_mb=peak,
        deliveries=deliveries,
        settings=dict(stack_options),
    )


def _rate(starts: list[float]) -> float:
    """Deliveries per second from the first start to the last."""
    if len(starts) < 2 or starts[-1] == starts[0]:
        return 0.0
    return (len(starts) - 1) / (starts[-1] - starts[0])


def limit_for(rate: float, headroom: float) -> str:
    """The graph server's limit (REQUESTS/300 s) a little above the queue's rate."""
    return f"{round(rate * headroom * 300)}/300"


def run(quick: bool) -> tuple[list[Figure], list[Run]]:
    options = {"max_followers": 500} if quick else {}
    runs = list(largest_runs(options, quick))
    with ThreadPoolExecutor(1, thread_name_prefix="faults") as beside:
        faults = beside.submit(analyse, "faults 0.1", LARGEST, options, faults=0.1, **FAULTS)
        runs += growth_runs(quick)
        runs.append(faults.result())
    return figures(runs), runs


def largest_runs(options: dict[str, int], quick: bool) -> Iterator[Run]:
    """The largest account fault-free (its 100/s run also counts for rate use), with duplicated
    deliveries, and at 20/s (capped: its rate is what counts)."""
    yield analyse("fault-free", LARGEST, options, rate_limit=limit_for(FAST, 1.1))
    yield analyse("duplicates 0.1", LARGEST, options, duplicates=0.1, fault_seed=7)
    slow = {"max_followers": 300 if quick else 600}
    yield analyse("20/s", LARGEST, slow, rate=20.0, rate_limit=limit_for(20.0, 1.25))


def growth_runs(quick: bool) -> list[Run]:
    sizes = (500, 1_000, 2_000) if quick else (1_000, 10_000, 100_000)
    runs = []
    with tempfile.TemporaryDirectory(prefix="kindred-bench-graphs-") as tmp:
        for followers in sizes:
            path = Path(tmp) / f"synthetic-{followers}" / "edges.txt.gz"
            path.parent.mkdir()
            synthetic.write_edges(synthetic.SyntheticSpec(followers=followers, seed=1), path)
            runs.append(
                analyse(
                    f"synthetic {followers:,}",
                    synthetic.TARGET,
                    {},
                    rate=GROWTH_RATE,
                    graph=path,
                    rate_limit=limit_for(GROWTH_RATE, 1.1),
                    function_workers=GROWTH_WORKERS,
                )
            )
    return runs


def figures(runs: list[Run]) -> list[Figure]:
    by = {run.label: run for run in runs}
    out = [calls_figure(by[label]) for label in ("fault-free", "faults 0.1", "duplicates 0.1")]
    growth = [run for run in runs if run.label.startswith("synthetic")]
    out += [writes_figure(by["fault-free"]), writes_figure(growth[-1])]
    out += [rate_figure(by["20/s"]), rate_figure(by["fault-free"])]
    out += growth_figures(growth)
    return out


def calls_figure(run: Run) -> Figure:
    """Calls as the graph server counted them: a delivery that failed carries no count forward,
    so the pipeline's own `cost.upstream_calls` misses the calls of failed attempts."""
    target = {"fault-free": 1.0, "faults 0.1": 1.25, "duplicates 0.1": 1.02}[run.label]
    ratio = run.graph_requests / run.minimum
    return Figure(
        f"upstream calls / minimum, largest account, {run.label}",
        run.graph_requests,
        "calls",
        run.minimum,
        "theoretical minimum",
        run.params(),
        f"<= {target:g}x the minimum",
        ratio <= target,
    )


def seed_writes(run: Run) -> int:
    return run.result["followers_analyzed"] + SEED_BOOKKEEPING


def writes_figure(run: Run) -> Figure:
    return Figure(
        f"Firestore writes per analysis, {run.account}",
        run.cost["firestore_writes"],
        "writes",
        seed_writes(run),
        "the seed's scheme (a write per follower + 7)",
        run.params(),
        "far below the seed's",
        run.cost["firestore_writes"] < seed_writes(run),
    )


def rate_figure(run: Run) -> Figure:
    use = run.crawl_rate / run.rate
    return Figure(
        f"rate-limit use at {run.rate:g}/s",
        run.crawl_rate,
        "calls/s",
        run.rate,
        "the queue's configured rate",
        {**run.params(), "steady_rate": round(run.steady_rate, 2), "http_429": run.throttled},
        ">= 0.95 of the rate, no 429",
        use >= 0.95 and run.throttled == 0,
    )


def growth_figures(runs: list[Run]) -> list[Figure]:
    """Each size's calls, writes, seconds and peak RSS, beside the smallest size's."""
    first = runs[0]
    measures = {
        "upstream calls": ("calls", lambda r: r.cost["upstream_calls"]),
        "Firestore writes": ("writes", lambda r: r.cost["firestore_writes"]),
        f"wall time at {GROWTH_RATE:g}/s": ("s", lambda r: r.analysis.seconds),
        "tasks function peak RSS": ("MB", lambda r: r.peak_rss_mb),
    }
    out = []
    for run in runs:
        planted = set(synthetic.SyntheticSpec(followers=1).planted_similar())
        top = [s["handle"] for s in run.result["similar"][: len(planted)]]
        found = sum(int(handle.split(".")[0][1:]) in planted for handle in top)
        for name, (unit, measure) in measures.items():
            out.append(
                Figure(
                    f"growth: {name}, {run.label} followers",
                    measure(run),
                    unit,
                    measure(first),
                    f"the same at {first.label}",
                    {
                        **run.params(),
                        "crawl_rate": round(run.crawl_rate, 2),
                        "steady_rate": round(run.steady_rate, 2),
                        "planted_similar_in_top": f"{found}/{len(planted)}",
                    },
                )
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    figures_, runs = run(args.quick)
    print(table(figures_))
    print()
    for r in runs:
        print(
            f"{r.label:<18} {r.account:<30} {r.analysis.seconds:6.1f} s  "
            f"{r.graph_requests:>7,} calls (minimum {r.minimum:,})  cost {r.cost}"
        )
    print(f"whole: {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
