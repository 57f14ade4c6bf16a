"""The aggregate: merge every group's sorted runs and pick the most-followed accounts.

Runs are merged as streams (`heapq.merge`), at most FAN_IN at once; with more parts, batches
are merged into intermediate runs first. Memory so grows with FAN_IN and `top_candidates`,
never with the number of accounts counted (the seed ran out of memory here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from kindred.core import names, tally
from kindred.core.cost import Meter
from kindred.core.messages import Aggregate, FetchProfiles, Rank
from kindred.core.options import options_from_stored
from kindred.core.ranking import Popular, top_popular
from kindred.services import weighting
from kindred.services.deps import Deps
from kindred.services.handoff import send

FAN_IN = 64
DONE_OR_LATER = ("profiles", "ranking", "done")


def aggregate_step(deps: Deps, message: Aggregate) -> None:
    analysis = message.analysis
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] in DONE_OR_LATER:
        return  # a repeated delivery, or an analysis that is gone
    options = options_from_stored(doc["options"])
    deps.store.update(
        names.analysis_doc(analysis), {"status": "aggregating", "updated_at": deps.clock.now()}
    )
    groups = deps.store.list(names.groups_collection(analysis))
    parts = [part for group in groups for part in group["parts"]]
    popular = most_followed(deps, analysis, groups, options.top_candidates, doc["account"]["id"])
    analyzed = sum(group["counted"] for group in groups)
    followers = deps.store.get(names.followers_done_doc(analysis)) or {}
    total = followers.get("followers_total")
    if total is None:  # forced on by the sweeper before the followers were all paged
        total = max(sum(group["followers"] for group in groups), analyzed)
    skipped: Counter[str] = Counter()
    for group in groups:
        skipped.update(group["skipped"])
    summary = {
        "popular": [[p.id, p.overlap] for p in popular],
        "followers_analyzed": analyzed,
        "followers_in_scope": total,
        "followers_reused": sum(group.get("reused", 0) for group in groups),
        "coverage": round(analyzed / total, 6) if total else 1.0,
        "skipped": dict(skipped),
        "groups_recorded": len(groups),
        **weighting.summary(options, popular, lambda: merge_parts(deps, analysis, parts)),
        "cost": Meter.total(
            [message.cost, doc.get("cost_submit"), followers.get("cost")]
            + [group["cost"] for group in groups]
        ),
    }
    deps.blobs.write_json(names.popular_blob(analysis), summary)
    deps.store.update(
        names.analysis_doc(analysis),
        {"status": "profiles", "followers_analyzed": analyzed, "updated_at": deps.clock.now()},
    )
    start_profiles(deps, analysis, doc["provider"], len(popular))


def start_profiles(deps: Deps, analysis: str, provider: str, candidates: int) -> None:
    """Fetch candidate profiles in a chain of batches; with no candidates, rank at once."""
    if candidates == 0:
        send(deps, names.rank_task(analysis), Rank(analysis=analysis))
    else:
        send(
            deps,
            names.profiles_task(analysis, 0),
            FetchProfiles(analysis=analysis, provider=provider),
        )


def most_followed(
    deps: Deps,
    analysis: str,
    groups: list[dict[str, Any]],
    k: int,
    target: str,
    scratch: str | None = None,
) -> list[Popular]:
    """The k accounts most followed by the followers of `groups` (group records), the target
    left out: their parts merged (intermediate runs under `scratch`, see merge_parts)."""
    parts = [part for group in groups for part in group["parts"]]
    return top_popular(merge_parts(deps, analysis, parts, scratch), k, exclude=target)


def merge_parts(
    deps: Deps, analysis: str, parts: list[str], scratch: str | None = None
) -> Iterator[tuple[str, int]]:
    """All parts merged into one sorted stream of (account, followers who follow it); the
    intermediate runs go under `scratch` (the aggregate's own folder by default)."""
    folder = scratch or names.merged_prefix(analysis)
    level = 0
    while len(parts) > FAN_IN:
        merged = []
        for start in range(0, len(parts), FAN_IN):
            name = f"{folder}/l{level}-{start // FAN_IN:05d}.tsv.z"
            runs = [
                tally.read_run(deps.blobs.stream(part)) for part in parts[start : start + FAN_IN]
            ]
            deps.blobs.write(name, tally.write_run(tally.merge_sorted_runs(runs)))
            merged.append(name)
        parts, level = merged, level + 1
    return tally.merge_sorted_runs(tally.read_run(deps.blobs.stream(part)) for part in parts)
