"""The end of the pipeline: candidate profiles in batches, then scores, the result, the record."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import replace
from typing import Any

from kindred.core import names, retry
from kindred.core.accounts import AccountProfile
from kindred.core.cost import Meter
from kindred.core.errors import KindredError
from kindred.core.messages import Decide, FetchProfiles, Rank
from kindred.core.options import options_from_stored
from kindred.core.ranking import Popular, Similar, Weighted, rank_similar
from kindred.core.timestamps import rfc3339
from kindred.services import notices, progressive
from kindred.services.deps import Deps
from kindred.services.handoff import send

GIVE_UP = retry.Action.GIVE_UP


def profiles_step(deps: Deps, message: FetchProfiles) -> None:
    analysis, batch = message.analysis, message.batch
    summary = json.loads(deps.blobs.read(names.popular_blob(analysis)))
    graph = deps.graph(message.provider)
    ids = [entry[0] for entry in summary["popular"]]
    batch_ids = ids[batch * graph.max_batch : (batch + 1) * graph.max_batch]
    try:
        profiles = graph.profiles(batch_ids)
    except KindredError as error:
        if retry.decide(error, deps.attempt, message.delivery.waits).action is not GIVE_UP:
            raise
        profiles = []  # the batch is recorded empty; ranking goes on without those candidates
    deps.blobs.write(
        names.profiles_blob(analysis, batch),
        json.dumps([dataclasses.astuple(profile) for profile in profiles]).encode(),
    )
    if (batch + 1) * graph.max_batch < len(ids):
        send(deps, names.profiles_task(analysis, batch + 1), replace(message, batch=batch + 1))
    elif summary.get("fast"):  # the candidates of fast mode's first round (services.fast)
        decide = Decide(analysis=analysis, round=1, batches=batch + 1, cost=message.cost)
        send(deps, names.decide_task(analysis, 1), decide)
    else:
        rank = Rank(analysis=analysis, batches=batch + 1, cost=message.cost)
        send(deps, names.rank_task(analysis), rank)


def read_profiles(deps: Deps, analysis: str, batches: int) -> dict[str, AccountProfile]:
    """The candidates' profiles, from the batches the profiles chain wrote."""
    profiles = {}
    for batch in range(batches):
        for fields in json.loads(deps.blobs.read(names.profiles_blob(analysis, batch))):
            profile = AccountProfile(*fields)
            profiles[profile.id] = profile
    return profiles


def similar_row(s: Similar) -> dict[str, Any]:
    """One similar account as a result lists it."""
    return {
        "handle": s.handle,
        "id": s.id,
        "display_name": s.display_name,
        "followers_count": s.followers_count,
        "avatar": s.avatar,
        "overlap": s.overlap,
        "score": round(s.score, 9) if math.isfinite(s.score) else 0.0,
        "verified": True,  # counted from every analysed follower (fast mode: services.fast)
        "weighted_overlap": None if s.weighted is None else round(s.weighted, 6),
    }


def rank_step(deps: Deps, message: Rank) -> None:
    analysis = message.analysis
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] == "done":
        return
    options = options_from_stored(doc["options"])
    summary = json.loads(deps.blobs.read(names.popular_blob(analysis)))
    profiles = read_profiles(deps, analysis, message.batches)
    popular = [Popular(pid, overlap) for pid, overlap in summary["popular"]]
    weighted = None
    if "weighted" in summary:
        weighted = Weighted(summary["weighted"], summary["weight_norm"])
    analyzed = summary["followers_analyzed"]
    similar = rank_similar(popular, profiles, analyzed, options.results, weighted)
    now = deps.clock.now()
    cost = Meter.total([summary["cost"], message.cost, *progressive.costs(deps, analysis)])
    result = {
        "id": analysis,
        "account": doc["account"],
        "status": "done",
        "mode": "exact",
        "estimate": False,
        "confidence": 1.0,
        "fast": None,
        "followers_analyzed": summary["followers_analyzed"],
        "followers_in_scope": summary["followers_in_scope"],
        "followers_reused": summary.get("followers_reused", 0),
        "coverage": summary["coverage"],
        "skipped": summary["skipped"],
        "similar": [similar_row(s) for s in similar],
        "popular": [
            {
                "handle": profiles[p.id].handle if p.id in profiles else None,
                "id": p.id,
                "overlap": p.overlap,
            }
            for p in popular
        ],
        "cost": cost,  # carried: result.json holds all but the record's own write
        "created_at": rfc3339(doc["created_at"]),
        "finished_at": rfc3339(now),
    }
    record_result(deps, doc, result, now)


def record_result(deps: Deps, doc: dict[str, Any], result: dict[str, Any], now: float) -> None:
    """The result in Cloud Storage and in the analysis's record, which says done; then the
    callback, if the submission named one."""
    analysis = doc["id"]
    deps.blobs.write_json(names.result_blob(analysis), result)
    deps.store.update(
        names.analysis_doc(analysis),
        {"status": "done", "finished_at": now, "updated_at": now, "result": result},
    )
    notices.ended(deps, "analysis", analysis, doc, "done")
