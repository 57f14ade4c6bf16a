"""Figures 21 to 23: follows reused across analyses (core.reuse, decision 0011).

One fresh stack, its upstream queue at 100/s, the analyses one after the other, each with
the default `max_age` (7 days) unless said: the bundled graph's largest account
(u115485051), then the second largest (u40981798), then the third (u43003845); then the
second and the third again with `max_age` 0, the runs without reuse (a different option, so
not the day's dedup of the first ones; they neither read nor store entries).

22. the second analysis's upstream calls (the graph server's `/_stats`) against its minimum
    without reuse (`kindred_infra.minimum`); the two largest accounts share only 54 of their
    3,383 and 3,216 followers, so little is there to reuse;
23. the same for the third, whose followers are mostly the second's too (2,626 of 2,735);
    each is held to its minimum less the follows pages of the followers an earlier analysis
    stored, and its answer (followers analysed, coverage, popular, similar, scores) is checked
    identical to the run without reuse ("identical: yes");
24. the entries' total size: the bucket's `follows/` after these runs, beside every follows
    list of the bundled graph encoded as the pipeline stores it (core.reuse.encode_entry).

Quick: each analysis capped at its first 500 followers.

Run alone: `python -m bench.reuse [--quick]`.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bench.figures import Figure
from bench.report import module_main
from bench.stack import Analysis, BenchStack, running_stack
from kindred.core import reuse
from kindred.core.options import AnalysisOptions
from kindred_infra import paths
from kindred_infra.graph_server.graph import Graph, load_graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.minimum import PAGE, minimum_calls

ACCOUNTS = (115485051, 40981798, 43003845)  # the bundled graph's three most-followed
RATE = 100.0
ANSWER = ("followers_analyzed", "followers_in_scope", "coverage", "skipped", "popular", "similar")


@dataclass(frozen=True)
class Run:
    account: int
    options: dict[str, int]
    analysis: Analysis
    calls: int  # as the graph server counted them


def run(quick: bool) -> list[Figure]:
    options = {"max_followers": 500} if quick else {}
    graph = load_graph(paths.DEFAULT_GRAPH)
    with running_stack(rate_limit="0") as bench:
        bench.set_queue(RATE)
        reusing = [analyse(bench, account, options) for account in ACCOUNTS]
        off = {**options, "max_age": 0}
        without = [analyse(bench, account, off) for account in ACCOUNTS[1:]]
        stored = bench_entries(bench)
    figures = []
    for index, (again, alone) in enumerate(zip(reusing[1:], without, strict=True), 1):
        figures.append(calls_figure(graph, again, alone, reusing[:index]))
    return [*figures, size_figure(graph, stored)]


def analyse(bench: BenchStack, account: int, options: dict[str, int]) -> Run:
    before = bench.graph_stats()["requests"]
    analysis = bench.analyse(f"u{account}.ego-twitter.test", options)
    calls = bench.graph_stats()["requests"] - before
    print(f"u{account} {options}: {calls:,} calls, {analysis.seconds:.0f} s, "
          f"{analysis.result['followers_reused']:,} followers reused", file=sys.stderr)  # fmt: skip
    return Run(account, options, analysis, calls)


def calls_figure(graph: Graph, again: Run, alone: Run, earlier: list[Run]) -> Figure:
    """`again`'s calls against its minimum without reuse; held to that minimum less the pages
    of its followers that the `earlier` analyses read (and so stored), answer as `alone`'s."""
    full = {**AnalysisOptions().as_dict(), **again.options}
    minimum = minimum_calls(graph, again.account, full)
    shared = audience(graph, again.account, full) & set().union(
        *(audience(graph, run.account, {**full, **run.options}) for run in earlier)
    )
    cap = full["max_follows_per_follower"]
    saved = sum(max(1, math.ceil(min(len(graph.follows(f)), cap) / PAGE)) for f in shared)
    same = all(again.analysis.result[key] == alone.analysis.result[key] for key in ANSWER)
    after = " and ".join(f"u{run.account}" for run in earlier)
    return Figure(
        f"reuse: upstream calls, u{again.account} after {after}; "
        f"identical: {'yes' if same else 'NO'}",
        again.calls,
        "calls",
        minimum,
        "its minimum without reuse",
        {
            "options": again.options,
            "followers_analyzed": again.analysis.result["followers_analyzed"],
            "followers_reused": again.analysis.result["followers_reused"],
            "followers_shared_with_earlier": len(shared),
            "minimum_less_shared_pages": minimum - saved,
            "calls_without_reuse": alone.calls,
            "seconds": round(again.analysis.seconds, 1),
            "seconds_without_reuse": round(alone.analysis.seconds, 1),
            "cost": again.analysis.cost,
            "cost_without_reuse": alone.analysis.cost,
            "identical": same,
        },
        "= the minimum less the shared followers' follows pages, the same answer",
        again.calls == minimum - saved and same,
    )


def audience(graph: Graph, account: int, options: dict[str, int]) -> set[int]:
    """The account's analysed followers (graph indices), in the upstream's order, capped."""
    target = graph.index_of(account)
    assert target is not None, account
    return set(graph.followers(target)[: options["max_followers"]].tolist())


def bench_entries(bench: BenchStack) -> dict[str, int]:
    """The stored entries' sizes, by object name (one list of the bucket's follows/)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project=bench.env["GOOGLE_CLOUD_PROJECT"],
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": bench.env["STORAGE_EMULATOR_HOST"]},
    )
    blobs = client.bucket(bench.env["KINDRED_BUCKET"]).list_blobs(prefix="follows/")
    return {blob.name: int(blob.size or 0) for blob in blobs}


def size_figure(graph: Graph, stored: dict[str, int]) -> Figure:
    began = time.perf_counter()
    sizes = np.array(list(whole_graph_entries(graph)), dtype=np.int64)
    fits = int(np.count_nonzero(sizes <= reuse.CARRY_BYTES))  # stored form: a little larger
    return Figure(
        "reuse: stored follows lists, total size after these analyses",
        sum(stored.values()),
        "bytes",
        float(sizes.sum()),
        "every follows list of the bundled graph, encoded",
        {
            "entries": len(stored),
            "mean_bytes": round(sum(stored.values()) / max(1, len(stored))),
            "graph_lists": int(sizes.size),
            "graph_mean_bytes": round(float(sizes.mean())),
            "graph_largest_bytes": int(sizes.max()),
            "graph_longest_list": int(np.diff(graph.out_indptr).max()),
            "graph_lists_within_carry_budget": f"{fits}/{sizes.size}",
            "seconds_to_encode_the_graph": round(time.perf_counter() - began, 1),
        },
    )


def whole_graph_entries(graph: Graph) -> Iterable[int]:
    """The stored size of every account's follows list (those following someone)."""
    ids = Identity("ego-twitter")
    dids = [ids.did(int(account)) for account in graph.ids]
    for index in range(graph.nodes):
        follows = graph.follows(index)
        if len(follows):
            entry = reuse.Entry(tuple(dids[f] for f in follows), 0.0, "end", len(follows))
            yield len(reuse.encode_entry(entry))


def main(argv: list[str] | None = None) -> int:
    return module_main(run, __doc__ or "", argv)


if __name__ == "__main__":
    raise SystemExit(main())
