"""The crawl: pages of the target's followers, then chains over each page's follows.

Each task makes one upstream call. A followers page starts, at once, one chain over those
followers' follows (a "group"); the chain carries its tally in the payload and writes only at
its end: objects in Cloud Storage and one marker document. The last group to finish, or the
end of the followers, whichever comes later, starts the aggregate (fan-in by `count()`).
At checkpoints a chain also leaves its tally in Cloud Storage for the interim rankings
(services/progressive.py, one call), which changes nothing it carries or records.

A chain also stops, recording nothing more, once its analysis has moved past the crawl (the
sweeper forced it on, or it failed): it reads the analysis record only every STATUS_EVERY
pages (`status_due`), since each read is a counted Firestore read and one per page would
add a read to every upstream call; so at most STATUS_EVERY - 1 calls are spent after the end.
Entries the adapter dropped (`Page.dropped`) are counted in the group's `skipped`.

With `max_age` (core.reuse), a group starts with a lookup, off the upstream queue: the
followers whose follows are stored and fresh are counted from their entries, and the chain
reads only the others, storing each list it reads in full once, at its last page (the ids
read so far ride in the payload meanwhile, counted in the payload budget with the tally).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kindred.core import names, retry, reuse, tally
from kindred.core.cost import Meter
from kindred.core.errors import KindredError
from kindred.core.messages import (
    Aggregate,
    LookupFollows,
    PageFollowers,
    ReadFollows,
    SampleFollowers,
)
from kindred.core.pagination import PageState, advance, page_size
from kindred.services import progressive, rounds, weighting
from kindred.services import reuse as stored
from kindred.services.deps import Deps
from kindred.services.failure import fail
from kindred.services.handoff import send

# Carried bytes past this (the encoded tally and a follows list to store, core.reuse.carry)
# send the tally to Cloud Storage: the task payload's budget is 100 KB, base64 adds a third.
SPILL_BYTES = 48_000
STATUS_EVERY = 10  # pages of a chain between two reads of its analysis's status
PAST_CRAWL = ("aggregating", "profiles", "ranking", "done", "failed")


def followers_step(deps: Deps, message: PageFollowers) -> None:
    analysis, group, options = message.analysis, message.group, message.options
    if group and group % STATUS_EVERY == 0 and past_crawl(deps, analysis):
        return
    graph = deps.graph(message.provider)
    limit = page_size(message.page, options.max_followers, graph.max_page)
    try:
        page = graph.followers(message.target, message.page.cursor, limit)
    except KindredError as error:
        decision = retry.decide(error, deps.attempt, message.delivery.waits)
        if decision.action is not retry.Action.GIVE_UP:
            raise
        fail(deps, analysis, decision.reason, _cannot_read(message, decision.reason, error))
        return
    step = advance(
        message.page, len(page.accounts), page.cursor, options.max_followers, graph.max_page
    )
    followers = tuple(account.id for account in page.accounts[: step.keep])
    if options.mode == "fast":  # the sample's rounds read them later (services.fast)
        rounds.keep_page(deps, analysis, group, followers)
    elif followers:
        start_group(deps, message, message.group, followers, page.dropped)
    else:  # an empty page still ends its group, so the fan-in counts one group a page
        _record_empty_group(deps, message, page.dropped)
    if not step.done:
        send(
            deps,
            names.followers_task(analysis, group + 1),
            replace(message, group=group + 1, page=step.state),
        )
        return
    deps.store.create(
        names.followers_done_doc(analysis),
        {
            "groups_total": group + 1,
            "followers_total": step.state.items,
            "stop_reason": step.stop_reason,
            "cost": message.cost,
            "at": deps.clock.now(),  # progress, for the sweeper
        },
    )
    # Whether this delivery made the record or finds it made: a retry after an answer lost
    # in a store outage is the only one left to start the aggregate (its task name dedups).
    if options.mode == "fast":
        rounds.start(deps, message, group + 1, step.state.items)
    else:
        maybe_aggregate(deps, analysis)


def _cannot_read(message: PageFollowers, reason: str, error: Exception) -> str:
    if reason == "upstream_error":
        return (
            f"{message.provider} kept failing on the followers of {message.target} after "
            f"{retry.GIVE_UP_AFTER} tries ({error}); submit the analysis again later"
        )
    return (
        f"the followers of {message.target} cannot be read any more ({error}); "
        "check that the account still exists and is public, then submit it again"
    )


def _record_empty_group(deps: Deps, message: PageFollowers, dropped: Mapping[str, int]) -> None:
    deps.store.create(
        names.group_doc(message.analysis, message.group),
        {
            "group": message.group,
            "followers": 0,
            "counted": 0,
            "skipped": dict(dropped),
            "parts": [],
            "reused": 0,
            "calls": 0,  # the followers call is the followers chain's, not a group's
            "cost": Meter(),  # carried: what this invocation counted so far, this write too
            "at": deps.clock.now(),
        },
    )


def start_group(
    deps: Deps,
    message: PageFollowers | SampleFollowers,
    group: int,
    followers: tuple[str, ...],
    dropped: Mapping[str, int],
) -> None:
    """A chain over these followers' follows: group `group` of the analysis; with reuse, a
    lookup of their stored follows first, off the upstream queue."""
    lookup = LookupFollows(
        analysis=message.analysis,
        provider=message.provider,
        options=message.options,
        group=group,
        followers=followers,
        skipped=dict(dropped),  # followers the adapter dropped from this page
    )
    if message.options.reuse:
        send(deps, names.lookup_task(message.analysis, group), lookup, carry=False)
    else:
        chain = _chain(lookup)
        send(deps, names.follows_task(message.analysis, group, 0, 0), chain, carry=False)


def _chain(lookup: LookupFollows, **done: Any) -> ReadFollows:
    """The chain over a group's followers, after the lookup found what `done` says."""
    return ReadFollows(
        analysis=lookup.analysis, provider=lookup.provider, options=lookup.options,
        group=lookup.group, followers=lookup.followers, skipped=lookup.skipped,
        cost=lookup.cost, **done,
    )  # fmt: skip


def lookup_step(deps: Deps, message: LookupFollows) -> None:
    """Count the followers whose stored follows serve (core.reuse); chain over the others.

    Two deliveries may find different entries (one was written between them): either gives
    the same counts, and the counts it spills are named by their content, so the chain that
    wins the task name finds its own.
    """
    analysis, group, followers = message.analysis, message.group, message.followers
    served = stored.served(deps, message.provider, followers, message.options)
    counts: Counter[str] = Counter()
    for follower in followers:  # a follower listed twice counts twice, as its reads would
        counts.update(served.get(follower, ()))
    rest = tuple(follower for follower in followers if follower not in served)
    reused, parts = len(followers) - len(rest), []
    encoded = tally.encode(counts) if counts else b""
    if encoded and (len(encoded) > SPILL_BYTES or not rest):
        digest = hashlib.blake2b(encoded, digest_size=8).hexdigest()
        parts.append(names.reused_part_blob(analysis, group, digest))
        deps.blobs.write(parts[-1], encoded)
        encoded = b""
    if not rest:
        _end_group(deps, message, len(followers), parts, reused, Counter(message.skipped), reused)
        return
    text = tally.as_text(encoded) if encoded else ""
    chain = _chain(message, tally=text, parts=tuple(parts), counted=reused, reused=reused)
    send(deps, names.follows_task(analysis, group, 0, 0), replace(chain, followers=rest))


def follows_step(deps: Deps, message: ReadFollows) -> None:
    analysis, group, index, options = (
        message.analysis, message.group, message.index, message.options,
    )  # fmt: skip
    counts = tally.decode_text(message.tally)
    parts, counted, skipped = list(message.parts), message.counted, Counter(message.skipped)
    state = message.page
    # The follower's follows so far, while they may be stored: none yet on its first page.
    listing = message.listing if state.pages else ("" if options.reuse else None)
    if status_due(index, state) and past_crawl(deps, analysis):
        return
    graph, follower = deps.graph(message.provider), message.followers[index]
    limit = page_size(state, options.max_follows_per_follower, graph.max_page)
    kept: list[str] = []
    try:
        page = graph.follows(follower, state.cursor, limit)
    except KindredError as error:
        decision = retry.decide(error, deps.attempt, message.delivery.waits)
        if decision.action is not retry.Action.GIVE_UP:
            raise
        skipped[decision.reason] += 1  # record this follower and go on
        done, read, state = True, state.items, PageState()
    else:
        cap = options.max_follows_per_follower
        step = advance(state, len(page.accounts), page.cursor, cap, graph.max_page)
        kept = [account.id for account in page.accounts[: step.keep]]
        counts.update(kept)
        skipped.update(page.dropped)
        listing = None if page.dropped else reuse.carry(listing, kept)
        if step.done and listing is not None and step.stop_reason in reuse.STORED_STOPS:
            stored.remember(deps, message.provider, follower, listing, step.stop_reason, cap)
        done, state = step.done, step.state
        read = state.items
        counted += int(done)
    weighted: dict[str, Any] = {}
    if options.score == "weighted":
        weighted = weighting.carry(deps, message, counts, kept, done, read)
    if done:
        index, state, listing = index + 1, PageState(), None
    encoded = tally.encode(counts)
    last = index == len(message.followers)
    if len(encoded) + reuse.carried_bytes(listing) > SPILL_BYTES or last:
        if counts:
            name = names.part_blob(analysis, group, len(parts))
            deps.blobs.write(name, encoded)
            parts.append(name)
        encoded = b""
    if last:
        everyone = len(message.followers) + message.reused
        _end_group(deps, message, everyone, parts, counted, skipped, message.reused)
        return
    progressive.checkpoint(deps, message, index, counted, encoded, parts)  # for interims
    send(
        deps,
        names.follows_task(analysis, group, index, state.pages),
        replace(
            message,
            index=index,
            page=state,
            tally=tally.as_text(encoded) if encoded else "",
            parts=tuple(parts),
            counted=counted,
            skipped=dict(skipped),
            listing=listing,
            **weighted,
        ),
    )


def status_due(index: int, state: PageState) -> bool:
    """Every STATUS_EVERY-th page of one follower's follows, and every STATUS_EVERY-th
    follower's first page: a read per ten upstream calls at most, never on a chain's first."""
    if state.pages:
        return state.pages % STATUS_EVERY == 0
    return index > 0 and index % STATUS_EVERY == 0


def past_crawl(deps: Deps, analysis: str) -> bool:
    """True when the analysis is gone or has moved past the crawl: its chains stop."""
    doc = deps.store.get(names.analysis_doc(analysis))
    return doc is None or doc.get("status") in PAST_CRAWL


def _end_group(
    deps: Deps,
    message: LookupFollows | ReadFollows,
    followers: int,
    parts: list[str],
    counted: int,
    skipped: Counter[str],
    reused: int,
) -> None:
    progressive.group_ended(deps, message)  # an interim, at a step; asked first: carried below
    deps.store.create(
        names.group_doc(message.analysis, message.group),
        {
            "group": message.group,
            "followers": followers,
            "counted": counted,
            "skipped": dict(skipped),
            "parts": parts,
            "reused": reused,  # of `counted`: served from stored follows (core.reuse)
            # Top-level, so a status sums the group's calls in one read.
            "calls": Meter.total([message.cost, deps.meter]).upstream_calls,
            "cost": message.cost,
            "at": deps.clock.now(),
        },
    )
    # Made now or by a delivery whose answer was lost.
    if message.options.mode == "fast":
        rounds.maybe_estimate(deps, message.analysis)
        return
    maybe_aggregate(deps, message.analysis)


def maybe_aggregate(deps: Deps, analysis: str) -> bool:
    """Start the aggregate once every group is recorded; safe to call from any number of ends."""
    followers = deps.store.get(names.followers_done_doc(analysis))
    if followers is None:
        return False
    if deps.store.count(names.groups_collection(analysis)) < followers["groups_total"]:
        return False
    return send(deps, names.aggregate_task(analysis), Aggregate(analysis=analysis))
