"""Progressive results (issue J, item 2): how early the interim ranking agrees with the final.

One exact analysis of the bundled graph's largest account (u115485051.ego-twitter.test; quick:
its first 1,000 followers) on a fresh stack, its upstream queue at 100 calls/s (quick: 30/s,
so that the rate binds: QUICK_RATE). Every chain
leaves its tally in Cloud Storage at checkpoints (1/16, 1/8, 1/4, 1/2, 3/4 of its followers), and
interims are ranked at steps of the crawl over what every chain has read (decision 0009).
After the analysis ends, its interim rankings are read from Firestore
(`analyses/{id}/interims`, one document each) and each is placed on the crawl by the share of
the analysis's upstream calls spent when it was ranked: the emulator's log of the upstream
queue's deliveries of the analysis that started before the interim's time, over all of them.
Its agreement is the share of the final top 50 (`similar`) that its top 50 has; the same
against the final order by overlap (`popular`, the order the interims estimate) shows how far
the ranking itself has converged.

Figures: the agreement at 10%, 25%, 50% and 90% of the calls (the last interim ranked by then;
0 before the first), measured, against the best an interim can reach (the full crawl's order
by overlap, the aggregate's, against the cosine top 50: the interim score lacks the
candidates' follower counts); the share of the calls spent at the first interim; the
Firestore writes of the interims (their documents' carried cost), against the analysis's
writes without them; the Cloud Storage writes of the checkpoints (the objects under
`analyses/{id}/checkpoints/`), against the analysis's other Storage writes. The plot
(`bench/progressive.png`, beside `growth.png`) draws both agreements against the share of calls.

Run alone: `python -m bench.progressive [--quick]`.
"""

from __future__ import annotations

import bisect
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import plot
from bench.export import bucket
from bench.figures import Figure
from bench.report import module_main
from bench.stack import BenchStack, running_stack
from kindred.core import interim, names

ACCOUNT = "u115485051.ego-twitter.test"  # the bundled graph's most-followed (3,383 followers)
RATE = 100.0  # the upstream queue's dispatches/s
# Quick: 10 chains. At 100/s and 20 dispatches at once, each would run at its own pace, as fast
# as its tasks end; at 30/s the queue's rate binds, as the upstream's does in production
# (Bluesky's 9/s), and the chains go in rounds, as with 34 chains at 100/s.
QUICK_RATE = 30.0
# Reuse off: the interims of one crawl, not the cost of storing every follows list (the plain
# Storage emulator rewrote all its metadata on each write, which paced the chains: with reuse
# on, the first interim of the full run came at half the calls instead of the first percent;
# kindred_infra.storage_emulator now writes it in pauses).
OPTIONS = {"max_age": 0}
QUICK_OPTIONS = {**OPTIONS, "max_followers": 1_000}
SHARES = (0.10, 0.25, 0.50, 0.90)
TOP = 50
PLOT = Path(__file__).resolve().parent / "progressive.png"


@dataclass(frozen=True)
class Point:
    """One interim ranking, placed on the crawl."""

    step: int
    groups: int  # groups it rests on: finished, or read in part up to a checkpoint
    groups_finished: int
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
                groups_finished=doc.get("finished", doc["groups"]),
                calls_share=bisect.bisect_right(starts, doc["at"]) / max(len(starts), 1),
                basis=interim.basis(doc["followers"], in_scope),
                agreement=interim.shared(ids, final),
                agreement_popular=interim.shared(ids, popular),
                writes=doc["cost"]["firestore_writes"],
            )
        )
    return points


def ceiling_of(result: dict[str, Any]) -> float:
    """The full crawl's order by overlap against the final top 50: about the most an interim,
    ranked by overlap share, can share with it."""
    final = [row["id"] for row in result["similar"]][:TOP]
    return interim.shared([row["id"] for row in result["popular"]][:TOP], final)


def ranked_by(points: list[Point], share: float) -> Point | None:
    """The last interim ranked by `share` of the calls, if any."""
    before = [p for p in points if p.calls_share <= share]
    return before[-1] if before else None


def agreement_at(points: list[Point], share: float, popular: bool = False) -> float:
    """The agreement of the last interim ranked by `share` of the calls; 0 before the first."""
    last = ranked_by(points, share)
    if last is None:
        return 0.0
    return last.agreement_popular if popular else last.agreement


def stored_interims(bench: BenchStack, analysis: str) -> list[dict[str, Any]]:
    """The analysis's interim documents, read with the unmodified Firestore client."""
    from google.cloud import firestore

    os.environ["FIRESTORE_EMULATOR_HOST"] = bench.env["FIRESTORE_EMULATOR_HOST"]
    client = firestore.Client(project=bench.env["GOOGLE_CLOUD_PROJECT"])
    prefix = bench.env.get("KINDRED_COLLECTION_PREFIX", "")
    collection = client.collection(prefix + names.interims_collection(analysis))
    return [doc.to_dict() or {} for doc in collection.stream()]


def measure(
    options: dict[str, int], rate: float
) -> tuple[dict[str, Any], list[Point], dict[str, int]]:
    """The result, its interims placed on the crawl, and the sizes of its Storage objects."""
    with running_stack(rate_limit="0") as bench:
        bench.set_queue(rate)
        analysis = bench.analyse(ACCOUNT, options)
        starts = sorted(d.started for d in bench.dispatches(analysis.id))
        stored = stored_interims(bench, analysis.id)
        objects = bucket(bench.env).list_blobs(prefix=f"analyses/{analysis.id}/")
        sizes = {b.name: int(b.size) for b in objects}
    return analysis.result, place(stored, starts, analysis.result), sizes


def figures(
    result: dict[str, Any],
    points: list[Point],
    options: dict[str, int],
    sizes: dict[str, int],
    rate: float,
) -> list[Figure]:
    ceiling = ceiling_of(result)
    label = "the full crawl's order by overlap vs the final top 50"
    common = {"account": ACCOUNT, "options": options, "queue_rate": rate}
    made = []
    for share in SHARES:
        last = ranked_by(points, share)
        made.append(
            Figure(
                f"progressive: interim top {TOP} agreement at {share:.0%} of calls",
                agreement_at(points, share),
                "share",
                ceiling,
                label,
                {
                    **common,
                    "agreement_with_popular": agreement_at(points, share, popular=True),
                    "interim": last.__dict__ if last else None,  # the one read off
                },
            )
        )
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
    made.append(checkpoint_figure(result, sizes, common))
    return made


def checkpoint_figure(
    result: dict[str, Any], sizes: dict[str, int], common: dict[str, Any]
) -> Figure:
    """The checkpoints' Storage writes (one an object) beside the analysis's others, from the
    sizes of the analysis's objects."""
    checkpoints = {name: size for name, size in sizes.items() if "/checkpoints/" in name}
    groups = len({names.checkpoint_group(name) for name in checkpoints})
    parts = [size for name, size in sizes.items() if "/parts/" in name]
    return Figure(
        "progressive: Cloud Storage writes of the chains' checkpoints",
        len(checkpoints),
        "writes",
        result["cost"]["storage_writes"] - len(checkpoints),
        "the analysis's other Storage writes",
        {
            **common,
            "chains": groups,
            "bytes": sum(checkpoints.values()),
            "largest_bytes": max(checkpoints.values(), default=0),
            "parts_bytes": sum(parts),  # the chains' own runs, for comparison
            "cost": result["cost"],
        },
        f"<= {len(interim.CHECKPOINTS)} a chain (one object a checkpoint); no Firestore write",
        len(checkpoints) <= len(interim.CHECKPOINTS) * max(groups, 1),
    )


def run(quick: bool) -> list[Figure]:
    options, rate = (QUICK_OPTIONS, QUICK_RATE) if quick else (OPTIONS, RATE)
    result, points, sizes = measure(options, rate)
    account = f"{ACCOUNT}, {result['followers_analyzed']:,} followers"
    plot.agreement(points, TOP, PLOT, account, ceiling_of(result))
    return figures(result, points, options, sizes, rate)


if __name__ == "__main__":
    sys.exit(module_main(run, __doc__ or "", None))
