"""Fast mode's rule played over a graph's arrays, no stack: for tuning `core.sampling`.

The same `core.sampling.decide` the pipeline's Decide step calls, fed the evidence the
pipeline would have after each round (the sample by the same keys of analysis and follower,
the candidates by the same rule, verifications counted from the candidate's own followers),
and the calls each round would make, counted as `kindred_infra.minimum` counts them. Each
analysis id draws a different sample, so several ids show the spread the bench's single run
cannot. The figures that count are the pipeline's (bench/fast.py, figures 25-26); this says
where they come from and how they vary.

    python -m bench.fast_rule [--ids 8] [--synthetic] [--set CONFIDENCE=0.97 ...]

`--set` overrides a constant of `core.sampling` for the run (CONFIDENCE, CANDIDATE_FACTOR,
FIRST_SAMPLE, GROWTH, VERIFY_SHARE, DRAWS, ...): how the rule's settings were compared.
"""

from __future__ import annotations

import math
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from kindred.core import sampling
from kindred.core.options import AnalysisOptions
from kindred.core.progress import PROFILE_BATCH
from kindred_infra import direct, synthetic
from kindred_infra.graph_server.graph import Graph, load_graph
from kindred_infra.graph_server.identity import Identity, dataset_name_from
from kindred_infra.minimum import minimum_calls, pages
from kindred_infra.paths import DEFAULT_GRAPH

LARGEST = (115485051, 40981798, 43003845)


@dataclass(frozen=True)
class Played:
    account: int
    analysis: str
    found: int  # of the exact top `results`
    calls: int
    exact_calls: int
    rounds: int
    sampled: int
    verified: int
    confidence: float
    stopped: str

    @property
    def share(self) -> float:
        return self.calls / self.exact_calls


class Audience:
    """One target's followers and what reading them costs, computed once for many plays."""

    def __init__(self, graph: Graph, dataset: str, account: int, options: AnalysisOptions):
        self.graph, self.account, self.options = graph, account, options
        self.ids = Identity(dataset)
        target = graph.index_of(account)
        if target is None:
            raise ValueError(f"account {account} is not in the graph")
        self.target = target
        self.followers = graph.followers(target)[: options.max_followers]
        cap = options.max_follows_per_follower
        self.dids = [self.ids.did(int(graph.ids[f])) for f in self.followers]
        self.lists = [graph.follows(int(f))[:cap] for f in self.followers]
        self.calls = np.array([pages(graph.follows_count(int(f)), cap) for f in self.followers])
        self.pages = pages(graph.followers_count(target), options.max_followers)
        self.in_audience = np.zeros(graph.nodes, dtype=bool)
        self.in_audience[self.followers] = True
        self.did_of: dict[int, str] = {}  # DIDs of the candidates, made as they are met
        want = direct.answer(graph, dataset, account, options.as_dict())
        self.exact = {s.did for s in want.cosine}
        counts = {k: v for k, v in options.as_dict().items() if isinstance(v, int)}
        self.exact_calls = minimum_calls(graph, account, counts)

    def did(self, node: int) -> str:
        if node not in self.did_of:
            self.did_of[node] = self.ids.did(int(self.graph.ids[node]))
        return self.did_of[node]

    def counts(self, chosen: np.ndarray) -> np.ndarray:
        picked = [self.lists[i] for i in np.nonzero(chosen)[0]]
        followed = np.concatenate(picked) if picked else np.empty(0, np.int64)
        return np.bincount(followed, minlength=self.graph.nodes)

    def overlap(self, node: int) -> int:
        return int(np.count_nonzero(self.in_audience[self.graph.followers(node)]))

    def read(self, node: int, stop_below: int) -> tuple[int, int | None, int]:
        """(overlap found, at most or None when read whole, calls) of a verification that
        stops as services.fast's ReadCandidate chain stops: once what it found and what is
        left unread cannot reach `stop_below`."""
        followers = self.graph.followers(node)
        count = self.graph.followers_count(node)
        calls = sampling.verify_cost(count)
        found = np.cumsum(self.in_audience[followers]) if len(followers) else np.zeros(1, int)
        for page in range(1, calls):
            items = min(len(followers), page * sampling.PAGE)
            unread = max(0, count - items)
            if unread < stop_below and int(found[items - 1]) + unread < stop_below:
                return int(found[items - 1]), int(found[items - 1]) + unread, page
        return self.overlap(node), None, calls


Decider = Callable[[sampling.Evidence, str], sampling.Decision]


def play(audience: Audience, analysis: str, decide: Decider = sampling.decide) -> Played:
    """One fast analysis, round by round, as the pipeline runs it."""
    options, graph = audience.options, audience.graph
    n = len(audience.followers)
    keys = np.array([sampling.sample_key(analysis, d) for d in audience.dids]) * sampling.SHARE_UNIT
    share = sampling.first_share(n)
    chosen = keys < share
    counts = audience.counts(chosen)
    counts[audience.target] = 0
    kept = math.ceil(options.top_candidates * sampling.CANDIDATE_FACTOR)
    positive = np.nonzero(counts)[0]
    nodes = sorted(positive, key=lambda i: (-counts[i], audience.did(int(i))))[:kept]
    batches = math.ceil(len(nodes) / PROFILE_BATCH)
    overlaps: dict[int, int] = {}
    bounded: dict[int, tuple[int, int]] = {}  # read in part: (at least, at most)
    spent = 1 + audience.pages + batches + int(audience.calls[chosen].sum())
    verify_calls = 0
    round_ = 1
    while True:
        s = int(chosen.sum())
        per_follower = float(audience.calls[chosen].sum()) / s
        evidence = sampling.Evidence(
            audience=n, sampled=s, share=share,
            candidates=tuple(
                sampling.Candidate(
                    audience.did(int(i)), int(counts[i]), graph.followers_count(int(i)),
                    overlaps.get(int(i)), at_least=bounded.get(int(i), (0, None))[0],
                    at_most=bounded.get(int(i), (0, None))[1],
                )
                for i in nodes
            ),
            results=options.results, top_candidates=options.top_candidates,
            calls_per_follower=per_follower, spent=spent + verify_calls,
            budget=1 + audience.pages + math.ceil(n * per_follower)
            + max(batches, math.ceil(options.top_candidates / PROFILE_BATCH)),
        )  # fmt: skip
        decision = decide(evidence, f"{analysis}-{round_}")
        if decision.action is sampling.Action.FINISH:
            break
        round_ += 1
        if decision.action is sampling.Action.SAMPLE:
            grown = keys < decision.share
            counts = counts + audience.counts(grown & ~chosen)
            counts[audience.target] = 0
            spent += int(audience.calls[grown & ~chosen].sum())
            chosen, share = grown, decision.share
        else:
            by_did = {audience.did(int(i)): int(i) for i in nodes}
            for did in decision.verify:
                node = by_did[did]
                stop = sampling.reach(decision.stop_below, n, graph.followers_count(node))
                found, at_most, calls = audience.read(node, stop)
                if at_most is None:
                    overlaps[node] = found
                else:
                    bounded[node] = (found, at_most)
                verify_calls += calls
    ranked = sampling.ranked(evidence, sampling.estimates(evidence))
    answer = {evidence.candidates[i].id for i in ranked}
    return Played(
        audience.account, analysis, len(answer & audience.exact), spent + verify_calls,
        audience.exact_calls, round_, int(chosen.sum()), len(overlaps), decision.confidence,
        decision.reason,
    )  # fmt: skip


def report(plays: Sequence[Played]) -> None:
    for p in plays:
        print(
            f"  {p.analysis:>8}  found {p.found:>2}  calls {p.calls:>6,} / {p.exact_calls:,}"
            f" = {p.share:6.1%}  rounds {p.rounds}  sampled {p.sampled:,}  verified"
            f" {p.verified}  confidence {p.confidence:.3f}  {p.stopped}"
        )
    shares = [p.share for p in plays]
    print(
        f"  mean {statistics.mean(shares):.1%}  max {max(shares):.1%}  found min"
        f" {min(p.found for p in plays)}  mean {statistics.mean(p.found for p in plays):.1f}"
    )


def override(setting: str) -> None:
    name, _, value = setting.partition("=")
    current = getattr(sampling, name, None)
    if not name.isupper() or not isinstance(current, int | float) or not value:
        raise click.BadParameter(f"{setting!r}: not NAME=VALUE of a number in core.sampling")
    setattr(sampling, name, float(value) if isinstance(current, float) else int(value))
    print(f"{name} = {getattr(sampling, name)}")


@click.command()
@click.option("--ids", default=8, help="analysis ids (samples) per account")
@click.option("--synthetic", "with_synthetic", is_flag=True, help="the 100k-follower account too")
@click.option("--accounts", default="", help="bundled accounts, comma-separated (default: LARGEST)")
@click.option("--set", "settings", multiple=True, help="NAME=VALUE: a core.sampling constant")
def main(ids: int, with_synthetic: bool, accounts: str, settings: tuple[str, ...]) -> None:
    for setting in settings:
        override(setting)
    options = AnalysisOptions()
    graph = load_graph(DEFAULT_GRAPH)
    chosen = [int(a) for a in accounts.split(",") if a] or list(LARGEST)
    for account in chosen:
        audience = Audience(graph, "ego-twitter", account, options)
        print(f"u{account}: {len(audience.followers):,} followers")
        report([play(audience, f"sim{k}") for k in range(ids)])
    if with_synthetic:
        with tempfile.TemporaryDirectory(prefix="kindred-fast-rule-") as tmp:
            path = Path(tmp) / "synthetic-100000" / "edges.txt.gz"
            path.parent.mkdir()
            synthetic.write_edges(synthetic.SyntheticSpec(followers=100_000, seed=1), path)
            big = load_graph(path)
            audience = Audience(big, dataset_name_from(path.parent.name), synthetic.TARGET, options)
            print("synthetic 100,000:")
            report([play(audience, f"sim{k}") for k in range(max(1, ids // 2))])


if __name__ == "__main__":
    main()
