"""The aggregate: merge every group's sorted runs and pick the most-followed accounts.

Runs are merged as streams (`heapq.merge`), at most FAN_IN at once; with more parts, batches
are merged into intermediate runs first. Memory so grows with FAN_IN and `top_candidates`,
never with the number of accounts counted (the seed ran out of memory here).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from kindred.core import names, tally
from kindred.core.cost import Meter
from kindred.core.options import options_from_stored
from kindred.core.ranking import top_popular
from kindred.services.deps import Deps

FAN_IN = 64
DONE_OR_LATER = ("profiles", "ranking", "done")


def aggregate_step(deps: Deps, payload: dict[str, Any]) -> None:
    analysis = payload["analysis"]
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] in DONE_OR_LATER:
        return  # a repeated delivery, or an analysis that is gone
    options = options_from_stored(doc["options"])
    deps.store.update(
        names.analysis_doc(analysis), {"status": "aggregating", "updated_at": deps.clock.now()}
    )
    groups = deps.store.list(names.groups_collection(analysis))
    parts = [part for group in groups for part in group["parts"]]
    merged = merge_parts(deps, analysis, parts)
    popular = top_popular(merged, options.top_candidates, exclude=doc["account"]["id"])
    analyzed = sum(group["counted"] for group in groups)
    followers = deps.store.get(names.followers_done_doc(analysis)) or {}
    total = followers.get("followers_total")
    if total is None:  # forced on by the sweeper before the followers were all paged
        total = max(sum(group["followers"] for group in groups), analyzed)
    skipped: Counter[str] = Counter()
    for group in groups:
        skipped.update(group["skipped"])
    cost = Meter.total(
        [payload["cost"], doc.get("cost_submit"), followers.get("cost")]
        + [group["cost"] for group in groups]
    ).add(deps.meter)
    cost.storage_writes += 1  # popular.json, below
    cost.firestore_writes += 1  # the status update, below
    summary = {
        "popular": [[p.id, p.overlap] for p in popular],
        "followers_analyzed": analyzed,
        "followers_in_scope": total,
        "coverage": round(analyzed / total, 6) if total else 1.0,
        "skipped": dict(skipped),
        "groups_recorded": len(groups),
        "cost": cost.as_dict(),
    }
    deps.blobs.write(names.popular_blob(analysis), json.dumps(summary).encode())
    deps.store.update(
        names.analysis_doc(analysis),
        {"status": "profiles", "followers_analyzed": analyzed, "updated_at": deps.clock.now()},
    )
    start_profiles(deps, analysis, doc["provider"], len(popular))


def start_profiles(deps: Deps, analysis: str, provider: str, candidates: int) -> None:
    """Fetch candidate profiles in a chain of batches; with no candidates, rank at once."""
    if candidates == 0:
        deps.queue.enqueue(
            deps.settings.pipeline_queue, names.rank_task(analysis), "rank",
            {"analysis": analysis, "cost": Meter(tasks=1).as_dict()},
        )  # fmt: skip
        return
    deps.queue.enqueue(
        deps.settings.upstream_queue(provider),
        names.profiles_task(analysis, 0),
        "profiles",
        {"analysis": analysis, "provider": provider, "batch": 0, "cost": Meter(tasks=1).as_dict()},
    )


def merge_parts(deps: Deps, analysis: str, parts: list[str]) -> Iterator[tuple[str, int]]:
    """All parts merged into one sorted stream of (account, followers who follow it)."""
    level = 0
    while len(parts) > FAN_IN:
        merged = []
        for start in range(0, len(parts), FAN_IN):
            name = f"analyses/{analysis}/merged/l{level}-{start // FAN_IN:05d}.tsv.z"
            runs = [
                tally.read_run(deps.blobs.stream(part)) for part in parts[start : start + FAN_IN]
            ]
            deps.blobs.write(name, tally.write_run(tally.merge_sorted_runs(runs)))
            merged.append(name)
        parts, level = merged, level + 1
    return tally.merge_sorted_runs(tally.read_run(deps.blobs.stream(part)) for part in parts)
