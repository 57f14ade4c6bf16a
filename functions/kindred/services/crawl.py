"""The crawl: pages of the target's followers, then chains over each page's follows.

Each task makes one upstream call. A followers page starts, at once, one chain over those
followers' follows (a "group"); the chain carries its tally in the payload and writes only at
its end: objects in Cloud Storage and one marker document. The last group to finish, or the
end of the followers, whichever comes later, starts the aggregate (fan-in by `count()`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kindred.core import names, tally
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, NotFound, RetryLater
from kindred.core.options import options_from_stored
from kindred.core.pagination import PageState, advance, page_size
from kindred.services.deps import Deps
from kindred.services.failure import fail

SPILL_BYTES = 48_000  # an encoded tally past this goes to Cloud Storage (payload budget: 100 KB)
FAN_IN_READS = 2  # the fan-in check: read the followers record, count the groups
GIVE_UP_AFTER = 5  # failed deliveries of one follows page before its follower is skipped


def followers_step(deps: Deps, payload: dict[str, Any]) -> None:
    analysis, group = payload["analysis"], payload["group"]
    options = options_from_stored(payload["options"])
    state = PageState.from_dict(payload["page"])
    graph = deps.graph(payload["provider"])
    limit = page_size(state, options.max_followers, graph.max_page)
    try:
        page = graph.followers(payload["target"], state.cursor, limit)
    except (FailedForGood, NotFound) as error:
        fail(deps, analysis, getattr(error, "reason", "not_found"), _cannot_read(payload, error))
        return
    except RetryLater as error:
        if error.retry_at is not None or deps.attempt < GIVE_UP_AFTER:
            raise
        fail(deps, analysis, "upstream_error", _kept_failing(payload, error))
        return
    step = advance(state, len(page.accounts), page.cursor, options.max_followers)
    followers = [account.id for account in page.accounts[: step.keep]]
    if followers:
        _start_group(deps, payload, group, followers)
    cost = Meter.from_dict(payload["cost"]).add(deps.meter)
    if not step.done:
        cost.tasks += 1  # the continuation below
        deps.queue.enqueue(
            deps.settings.upstream_queue(payload["provider"]),
            names.followers_task(analysis, group + 1),
            "followers",
            {**payload, "group": group + 1, "page": step.state.to_dict(), "cost": cost.as_dict()},
        )
        return
    groups = group + 1 if followers else group
    cost.firestore_writes += 2  # the record and the status, below
    cost.firestore_reads += FAN_IN_READS
    recorded = deps.store.create(
        names.followers_done_doc(analysis),
        {
            "groups_total": groups,
            "followers_total": step.state.items,
            "stop_reason": step.stop_reason,
            "cost": cost.as_dict(),
        },
    )
    if recorded:  # a repeated delivery finds the record made and leaves it as it is
        deps.store.update(
            names.analysis_doc(analysis), {"status": "follows", "updated_at": deps.clock.now()}
        )
        maybe_aggregate(deps, analysis)


def _cannot_read(payload: dict[str, Any], error: Exception) -> str:
    return (
        f"the followers of {payload['target']} cannot be read any more ({error}); "
        "check that the account still exists and is public, then submit it again"
    )


def _kept_failing(payload: dict[str, Any], error: Exception) -> str:
    return (
        f"{payload['provider']} kept failing on the followers of {payload['target']} "
        f"after {GIVE_UP_AFTER} tries ({error}); submit the analysis again later"
    )


def _start_group(deps: Deps, payload: dict[str, Any], group: int, followers: list[str]) -> None:
    deps.queue.enqueue(
        deps.settings.upstream_queue(payload["provider"]),
        names.follows_task(payload["analysis"], group, 0, 0),
        "follows",
        {
            "analysis": payload["analysis"],
            "provider": payload["provider"],
            "options": payload["options"],
            "group": group,
            "followers": followers,
            "index": 0,
            "page": PageState().to_dict(),
            "tally": "",
            "parts": [],
            "counted": 0,
            "skipped": {},
            "cost": Meter().as_dict(),
        },
    )


def follows_step(deps: Deps, payload: dict[str, Any]) -> None:
    analysis, group, index = payload["analysis"], payload["group"], payload["index"]
    options = options_from_stored(payload["options"])
    state = PageState.from_dict(payload["page"])
    counts = tally.decode_text(payload["tally"])
    parts, counted = list(payload["parts"]), payload["counted"]
    skipped = Counter(payload["skipped"])
    graph = deps.graph(payload["provider"])
    follower = payload["followers"][index]
    limit = page_size(state, options.max_follows_per_follower, graph.max_page)
    try:
        page = graph.follows(follower, state.cursor, limit)
    except (FailedForGood, NotFound) as error:
        skipped[getattr(error, "reason", "not_found")] += 1
        done, state = True, PageState()
    except RetryLater as error:
        if error.retry_at is not None or deps.attempt < GIVE_UP_AFTER:
            raise
        skipped["upstream_error"] += 1  # retried enough: record this follower and go on
        done, state = True, PageState()
    else:
        step = advance(state, len(page.accounts), page.cursor, options.max_follows_per_follower)
        counts.update(account.id for account in page.accounts[: step.keep])
        done, state = step.done, step.state
        counted += int(done)
    if done:
        index, state = index + 1, PageState()
    encoded = tally.encode(counts)
    if len(encoded) > SPILL_BYTES or index == len(payload["followers"]):
        if counts:
            name = names.part_blob(analysis, group, len(parts))
            deps.blobs.write(name, encoded)
            parts.append(name)
        encoded = b""
    cost = Meter.from_dict(payload["cost"]).add(deps.meter)
    if index == len(payload["followers"]):
        _end_group(deps, payload, parts, counted, skipped, cost)
        return
    cost.tasks += 1
    deps.queue.enqueue(
        deps.settings.upstream_queue(payload["provider"]),
        names.follows_task(analysis, group, index, state.pages),
        "follows",
        {
            **payload,
            "index": index,
            "page": state.to_dict(),
            "tally": tally.as_text(encoded) if encoded else "",
            "parts": parts,
            "counted": counted,
            "skipped": dict(skipped),
            "cost": cost.as_dict(),
        },
    )


def _end_group(
    deps: Deps,
    payload: dict[str, Any],
    parts: list[str],
    counted: int,
    skipped: Counter[str],
    cost: Meter,
) -> None:
    cost.firestore_writes += 1
    cost.firestore_reads += FAN_IN_READS
    created = deps.store.create(
        names.group_doc(payload["analysis"], payload["group"]),
        {
            "group": payload["group"],
            "followers": len(payload["followers"]),
            "counted": counted,
            "skipped": dict(skipped),
            "parts": parts,
            "calls": cost.upstream_calls,  # top-level, so a status sums it in one read
            "cost": cost.as_dict(),
            "at": deps.clock.now(),
        },
    )
    if created:
        maybe_aggregate(deps, payload["analysis"])


def maybe_aggregate(deps: Deps, analysis: str) -> bool:
    """Start the aggregate once every group is recorded; safe to call from any number of ends."""
    followers = deps.store.get(names.followers_done_doc(analysis))
    if followers is None:
        return False
    if deps.store.count(names.groups_collection(analysis)) < followers["groups_total"]:
        return False
    return deps.queue.enqueue(
        deps.settings.pipeline_queue,
        names.aggregate_task(analysis),
        "aggregate",
        {"analysis": analysis, "cost": Meter(tasks=1).as_dict()},
    )
