"""Progressive results (issue J, item 2): how early the interim ranking agrees with the final.

One exact analysis of the bundled graph's largest account (u115485051.ego-twitter.test; quick:
its first 1,000 followers) on a fresh stack, its upstream queue at 100 calls/s. After it ends,
its interim rankings are read from Firestore (`analyses/{id}/interims`, one document each) and
each is placed on the crawl by the share of the analysis's upstream calls spent when it was
ranked: the emulator's log of the upstream queue's deliveries of the analysis that started
before the interim's time, over all of them. Its agreement is the share of the final top 50
(`similar`) that its top 50 has; the same against the final order by overlap (`popular`, the
order the interims estimate) shows how far the ranking itself has converged.

Figures: the agreement at 10%, 25%, 50% and 90% of the calls (the last interim ranked by then;
0 before the first), against the best an interim can reach (the full crawl's order by overlap,
the aggregate's, against the cosine top 50: the interim score lacks the candidates' follower
counts); the share of the calls spent at the first interim; the Firestore writes of the
interims (their documents' carried cost), against the analysis's writes without them. The
agreement figures' params add two offline curves from the edge list (`what_if`): what the
interims would agree at the same shares had the groups run one after another, or had every
chain left its tally at fractions of its group (decision 0009). The plot
(`bench/progressive.png`, beside `growth.png`) draws both agreements against the share of calls.

Run alone: `python -m bench.progressive [--quick]`.
"""

from __future__ import annotations

import bisect
import math
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import plot
from bench.figures import Figure
from bench.report import module_main
from bench.stack import BenchStack, running_stack
from kindred.core import interim, names
from kindred.core.options import AnalysisOptions
from kindred_infra import paths
from kindred_infra.graph_server.graph import Graph, load_graph
from kindred_infra.graph_server.identity import Identity

ACCOUNT = "u115485051.ego-twitter.test"  # the bundled graph's most-followed (3,383 followers)
RATE = 100.0  # the upstream queue's dispatches/s
QUICK_OPTIONS = {"max_followers": 1_000}
SHARES = (0.10, 0.25, 0.50, 0.90)
TOP = 50
PAGE = 100  # followers a group, follows a page
PLOT = Path(__file__).resolve().parent / "progressive.png"


@dataclass(frozen=True)
class Point:
    """One interim ranking, placed on the crawl."""

    step: int
    groups: int
    calls_share: float  # of the analysis's upstream calls, spent when it was ranked
    basis: float
    agreement: float  # with the final top 50 (cosine)
    agreement_popular: float  # with the final top 50 by overlap (what the interim estimates)
    writes: int


def place(
    interims: list[dict[str, Any]], starts: list[float], result: dict[str, Any]
) -> list[Point]:
    """Each interim (stored documents) on the crawl, oldest first, by the upstream deliveries
    that started (`starts`, sorted) before it was ranked."""
    final = [row["id"] for row in result["similar"]][:TOP]
    popular = [row["id"] for row in result["popular"]][:TOP]
    in_scope = result["followers_in_scope"]
    points = []
    for doc in sorted(interims, key=lambda doc: doc["at"]):
        ids = [row["id"] for row in doc["results"]][:TOP]
        points.append(
            Point(
                step=doc["step"],
                groups=doc["groups"],
                calls_share=bisect.bisect_right(starts, doc["at"]) / max(len(starts), 1),
                basis=interim.basis(doc["followers"], in_scope),
                agreement=interim.shared(ids, final),
                agreement_popular=interim.shared(ids, popular),
                writes=doc["cost"]["firestore_writes"],
            )
        )
    return points


def agreement_at(points: list[Point], share: float, popular: bool = False) -> float:
    """The agreement of the last interim ranked by `share` of the calls; 0 before the first."""
    before = [p for p in points if p.calls_share <= share]
    if not before:
        return 0.0
    last = before[-1]
    return last.agreement_popular if popular else last.agreement


def what_if(options: dict[str, int], final: list[str]) -> dict[str, dict[str, float]]:
    """Offline, from the edge list: at each share of the follows calls, the agreement with the
    `final` top 50 of the top 50 by overlap among the followers read by then, had the groups
    run one after another (`in_order`: the first followers whose calls fit), or had every chain
    left its tally as it went (`lockstep`: from every group, the first followers whose calls
    fit in that share of the group's), the sample that chains side by side would give."""
    graph = load_graph(paths.DEFAULT_GRAPH)
    full = {**AnalysisOptions().as_dict(), **options}
    target = graph.index_of(int(ACCOUNT.split(".")[0][1:]))
    assert target is not None
    audience = [int(f) for f in graph.followers(target)[: full["max_followers"]]]
    cap = full["max_follows_per_follower"]
    calls = {f: max(1, math.ceil(min(graph.follows_count(f), cap) / PAGE)) for f in audience}
    groups = [audience[start : start + PAGE] for start in range(0, len(audience), PAGE)]
    made: dict[str, dict[str, float]] = {"in_order": {}, "lockstep": {}}
    for share in SHARES:
        order = _first(audience, calls, share * sum(calls.values()))
        lockstep = [f for g in groups for f in _first(g, calls, share * sum(map(calls.get, g)))]
        for name, followers in (("in_order", order), ("lockstep", lockstep)):
            top = _most_followed(graph, target, followers, cap)
            made[name][f"{share:.0%}"] = interim.shared(top, final)
    return made


def _first(followers: list[int], calls: dict[int, int], budget: float) -> list[int]:
    """The first followers whose follows fit in `budget` calls."""
    spent, taken = 0, []
    for follower in followers:
        if spent + calls[follower] > budget:
            break
        taken.append(follower)
        spent += calls[follower]
    return taken


def _most_followed(graph: Graph, target: int, followers: list[int], cap: int) -> list[str]:
    """The DIDs of the TOP accounts these followers follow most (ties by DID, as ranked)."""
    ids = Identity("ego-twitter")
    counts = Counter(int(b) for f in followers for b in graph.follows(f)[:cap] if b != target)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], ids.did(int(graph.ids[kv[0]]))))
    return [ids.did(int(graph.ids[account])) for account, _ in ranked[:TOP]]


def stored_interims(bench: BenchStack, analysis: str) -> list[dict[str, Any]]:
    """The analysis's interim documents, read with the unmodified Firestore client."""
    from google.cloud import firestore

    os.environ["FIRESTORE_EMULATOR_HOST"] = bench.env["FIRESTORE_EMULATOR_HOST"]
    client = firestore.Client(project=bench.env["GOOGLE_CLOUD_PROJECT"])
    prefix = bench.env.get("KINDRED_COLLECTION_PREFIX", "")
    collection = client.collection(prefix + names.interims_collection(analysis))
    return [doc.to_dict() or {} for doc in collection.stream()]


def measure(options: dict[str, int]) -> tuple[dict[str, Any], list[Point]]:
    with running_stack(rate_limit="0") as bench:
        bench.set_queue(RATE)
        analysis = bench.analyse(ACCOUNT, options)
        starts = sorted(d.started for d in bench.dispatches(analysis.id))
        stored = stored_interims(bench, analysis.id)
    return analysis.result, place(stored, starts, analysis.result)


def figures(
    result: dict[str, Any],
    points: list[Point],
    options: dict[str, int],
    offline: dict[str, dict[str, float]],
) -> list[Figure]:
    final = [row["id"] for row in result["similar"]][:TOP]
    ceiling = interim.shared([row["id"] for row in result["popular"]][:TOP], final)
    label = "the full crawl's order by overlap vs the final top 50"
    common = {"account": ACCOUNT, "options": options, "queue_rate": RATE}
    made = [
        Figure(
            f"progressive: interim top {TOP} agreement at {share:.0%} of calls",
            agreement_at(points, share),
            "share",
            ceiling,
            label,
            {
                **common,
                "agreement_with_popular": agreement_at(points, share, popular=True),
                "offline_in_order": offline["in_order"][f"{share:.0%}"],
                "offline_lockstep": offline["lockstep"][f"{share:.0%}"],
            },
        )
        for share in SHARES
    ]
    first = points[0].calls_share if points else 1.0
    made.append(
        Figure(
            "progressive: share of calls spent at the first interim",
            first,
            "share",
            params={**common, "points": [p.__dict__ for p in points]},
        )
    )
    writes = sum(p.writes for p in points)
    made.append(
        Figure(
            "progressive: Firestore writes of the interim rankings",
            writes,
            "writes",
            result["cost"]["firestore_writes"] - writes,
            "the analysis's writes without them",
            {**common, "interims": len(points), "cost": result["cost"]},
            f"<= {interim.MOST} (one per interim, core.interim.MOST at most)",
            writes <= interim.MOST,
        )
    )
    return made


def run(quick: bool) -> list[Figure]:
    options = QUICK_OPTIONS if quick else {}
    result, points = measure(options)
    offline = what_if(options, [row["id"] for row in result["similar"]][:TOP])
    account = f"{ACCOUNT}, {result['followers_analyzed']:,} followers"
    labels = {
        "in_order": "offline, with the final top 50: had the groups run one after another",
        "lockstep": "offline, with the final top 50: had each chain left its tally at checkpoints",
    }
    plot.agreement(points, TOP, PLOT, account, {labels[name]: offline[name] for name in offline})
    return figures(result, points, options, offline)


if __name__ == "__main__":
    sys.exit(module_main(run, __doc__ or "", None))
