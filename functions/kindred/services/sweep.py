"""The sweeper: nothing waits forever. A job whose stage has made no progress for
`stale_seconds` moves on with what it has; its result records the coverage it reached. A
collection whose accounts have made no progress for as long has the checks of its unfinished
accounts forced: each records the images still without an outcome as `missing` (an account
whose feed was never read to the end, as failed, `stalled`), and the collection ends."""

from __future__ import annotations

import json
from typing import Any

from kindred.core import collection_names, names
from kindred.core.errors import NotFound
from kindred.core.messages import Aggregate, Rank
from kindred.services import collect, rounds
from kindred.services.deps import Deps
from kindred.services.handoff import send

CRAWLING = ("followers", "follows")


def sweep(deps: Deps) -> list[str]:
    """Force stale analyses on; returns the ids it moved."""
    moved = []
    now = deps.clock.now()
    for analysis, doc in deps.store.query(
        names.ANALYSES, [("status", "in", [*CRAWLING, "aggregating", "profiles"])]
    ):
        if now - _last_progress(deps, analysis, doc) < deps.settings.stale_seconds:
            continue
        attempt = int(doc.get("forced", 0)) + 1
        deps.store.update(names.analysis_doc(analysis), {"forced": attempt, "updated_at": now})
        if doc["options"].get("mode") == "fast":  # fast mode: finish with what it has
            rounds.force(deps, analysis, attempt)
        elif doc["status"] == "profiles":
            batches = _profile_batches(deps, analysis)
            send(deps, names.rank_task(analysis, attempt), Rank(analysis=analysis, batches=batches))
        else:
            send(deps, names.aggregate_task(analysis, attempt), Aggregate(analysis=analysis))
        moved.append(analysis)
    return moved + sweep_collections(deps)


def sweep_collections(deps: Deps) -> list[str]:
    """Force the unfinished accounts of stale collections on; returns the ids it moved."""
    moved = []
    now = deps.clock.now()
    running = [("status", "==", "running"), ("kind", "==", "collection")]
    for collection, doc in deps.store.query(collection_names.COLLECTIONS, running):
        accounts = collection_names.accounts_collection(collection)
        latest = float(doc.get("updated_at", doc["created_at"]))
        newest = deps.store.query(accounts, order_by=[("at", "descending")], limit=1)
        if newest:
            latest = max(latest, float(newest[0][1]["at"]))
        if now - latest < deps.settings.stale_seconds:
            continue
        attempt = int(doc.get("forced", 0)) + 1
        deps.store.update(
            collection_names.collection_doc(collection), {"forced": attempt, "updated_at": now}
        )
        recorded = {int(d["index"]) for d in deps.store.list(accounts)}
        chunks: dict[int, list[str]] = {}
        for index in range(int(doc["accounts_total"])):
            if index in recorded:
                continue
            chunk = index // collect.CHUNK
            if chunk not in chunks:
                name = f"{collection_names.accounts_blob(collection)}.{chunk:04d}"
                chunks[chunk] = json.loads(deps.blobs.read(name))
            account = chunks[chunk][index % collect.CHUNK]
            collect.force_check(deps, collection, index, account, attempt)
        moved.append(collection)
    return moved


def _last_progress(deps: Deps, analysis: str, doc: dict[str, Any]) -> float:
    latest = float(doc.get("updated_at", doc["created_at"]))
    if doc["status"] in CRAWLING:
        followers = deps.store.get(names.followers_done_doc(analysis)) or {}
        latest = max(latest, float(followers.get("at", latest)))
        newest = deps.store.query(
            names.groups_collection(analysis), order_by=[("at", "descending")], limit=1
        )
        if newest:
            latest = max(latest, float(newest[0][1]["at"]))
    return latest


def _profile_batches(deps: Deps, analysis: str) -> int:
    """How many profile batches were written, so ranking uses those it has."""
    batch = 0
    while True:
        try:
            deps.blobs.read(names.profiles_blob(analysis, batch))
        except NotFound:
            return batch
        batch += 1
