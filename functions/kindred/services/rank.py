"""The end of the pipeline: candidate profiles in batches, then scores, the result, the record."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from kindred.core import names
from kindred.core.accounts import AccountProfile
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, RetryLater
from kindred.core.options import options_from_stored
from kindred.core.ranking import Popular, rank_similar
from kindred.core.timestamps import rfc3339
from kindred.services.crawl import GIVE_UP_AFTER
from kindred.services.deps import Deps


def profiles_step(deps: Deps, payload: dict[str, Any]) -> None:
    analysis, batch = payload["analysis"], payload["batch"]
    summary = json.loads(deps.blobs.read(names.popular_blob(analysis)))
    graph = deps.graph(payload["provider"])
    ids = [entry[0] for entry in summary["popular"]]
    batch_ids = ids[batch * graph.max_batch : (batch + 1) * graph.max_batch]
    try:
        profiles = graph.profiles(batch_ids)
    except RetryLater as error:
        if error.retry_at is not None or deps.attempt < GIVE_UP_AFTER:
            raise
        profiles = []  # retried enough: the batch is recorded empty, ranking goes on
    except FailedForGood:
        profiles = []  # the batch is recorded empty; ranking goes on without those candidates
    deps.blobs.write(
        names.profiles_blob(analysis, batch),
        json.dumps([dataclasses.astuple(profile) for profile in profiles]).encode(),
    )
    cost = Meter.from_dict(payload["cost"]).add(deps.meter)
    cost.tasks += 1
    if (batch + 1) * graph.max_batch < len(ids):
        step, name, queue = (
            "profiles",
            names.profiles_task(analysis, batch + 1),
            deps.settings.upstream_queue(payload["provider"]),
        )
        next_payload = {**payload, "batch": batch + 1, "cost": cost.as_dict()}
    else:
        step, name, queue = "rank", names.rank_task(analysis), deps.settings.pipeline_queue
        next_payload = {"analysis": analysis, "batches": batch + 1, "cost": cost.as_dict()}
    deps.queue.enqueue(queue, name, step, next_payload)


def rank_step(deps: Deps, payload: dict[str, Any]) -> None:
    analysis = payload["analysis"]
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] == "done":
        return
    options = options_from_stored(doc["options"])
    summary = json.loads(deps.blobs.read(names.popular_blob(analysis)))
    profiles = {}
    for batch in range(payload.get("batches", 0)):
        for fields in json.loads(deps.blobs.read(names.profiles_blob(analysis, batch))):
            profile = AccountProfile(*fields)
            profiles[profile.id] = profile
    popular = [Popular(pid, overlap) for pid, overlap in summary["popular"]]
    similar = rank_similar(popular, profiles, summary["followers_analyzed"], options.results)
    now = deps.clock.now()
    cost = Meter.total([summary["cost"], payload["cost"]]).add(deps.meter)
    cost.storage_writes += 1  # result.json, below
    cost.firestore_writes += 1  # the final record, below
    result = {
        "id": analysis,
        "account": doc["account"],
        "status": "done",
        "followers_analyzed": summary["followers_analyzed"],
        "followers_in_scope": summary["followers_in_scope"],
        "coverage": summary["coverage"],
        "skipped": summary["skipped"],
        "similar": [
            {
                "handle": s.handle,
                "id": s.id,
                "display_name": s.display_name,
                "followers_count": s.followers_count,
                "avatar": s.avatar,
                "overlap": s.overlap,
                "score": round(s.score, 9) if math.isfinite(s.score) else 0.0,
            }
            for s in similar
        ],
        "popular": [
            {
                "handle": profiles[p.id].handle if p.id in profiles else None,
                "id": p.id,
                "overlap": p.overlap,
            }
            for p in popular
        ],
        "cost": cost.as_dict(),
        "created_at": rfc3339(doc["created_at"]),
        "finished_at": rfc3339(now),
    }
    deps.blobs.write(names.result_blob(analysis), json.dumps(result).encode())
    deps.store.update(
        names.analysis_doc(analysis),
        {"status": "done", "finished_at": now, "updated_at": now, "result": result},
    )
    if doc.get("callback_url"):
        deps.notify(doc["callback_url"], {"id": analysis, "status": "done"})
