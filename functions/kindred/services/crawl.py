"""The crawl: pages of the target's followers, then chains over each page's follows.

Each task makes one upstream call. A followers page starts, at once, one chain over those
followers' follows (a "group"); the chain carries its tally in the payload and writes only at
its end: objects in Cloud Storage and one marker document. The last group to finish, or the
end of the followers, whichever comes later, starts the aggregate (fan-in by `count()`).
At checkpoints a chain also leaves its tally in Cloud Storage for the interim rankings
(services/progressive.py, one call), which changes nothing it carries or records.

A chain also stops, recording nothing more, once its analysis has moved past the crawl (the
sweeper forced it on, or it failed): it reads the analysis record only every STATUS_EVERY
pages (`_status_due`), since each read is a counted Firestore read and one per page would
add a read to every upstream call; so at most STATUS_EVERY - 1 calls are spent after the end.
Entries the adapter dropped (`Page.dropped`) are counted in the group's `skipped`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from kindred.core import names, retry, tally
from kindred.core.cost import Meter
from kindred.core.errors import KindredError
from kindred.core.messages import Aggregate, PageFollowers, ReadFollows
from kindred.core.pagination import PageState, advance, page_size
from kindred.services import progressive
from kindred.services.deps import Deps
from kindred.services.failure import fail
from kindred.services.handoff import send

SPILL_BYTES = 48_000  # an encoded tally past this goes to Cloud Storage (payload budget: 100 KB)
STATUS_EVERY = 10  # pages of a chain between two reads of its analysis's status
PAST_CRAWL = ("aggregating", "profiles", "ranking", "done", "failed")


def followers_step(deps: Deps, message: PageFollowers) -> None:
    analysis, group, options = message.analysis, message.group, message.options
    if group and group % STATUS_EVERY == 0 and _past_crawl(deps, analysis):
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
    if followers:
        _start_group(deps, message, followers, page.dropped)
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
            "calls": 0,  # the followers call is the followers chain's, not a group's
            "cost": Meter(),  # carried: what this invocation counted so far, this write too
            "at": deps.clock.now(),
        },
    )


def _start_group(
    deps: Deps, message: PageFollowers, followers: tuple[str, ...], dropped: Mapping[str, int]
) -> None:
    chain = ReadFollows(
        analysis=message.analysis,
        provider=message.provider,
        options=message.options,
        group=message.group,
        followers=followers,
        skipped=dict(dropped),  # followers the adapter dropped from this page
    )
    send(deps, names.follows_task(message.analysis, message.group, 0, 0), chain, carry=False)


def follows_step(deps: Deps, message: ReadFollows) -> None:
    analysis, group, index, options = (
        message.analysis, message.group, message.index, message.options,
    )  # fmt: skip
    counts = tally.decode_text(message.tally)
    parts, counted, skipped = list(message.parts), message.counted, Counter(message.skipped)
    state = message.page
    if _status_due(index, state) and _past_crawl(deps, analysis):
        return
    graph = deps.graph(message.provider)
    limit = page_size(state, options.max_follows_per_follower, graph.max_page)
    try:
        page = graph.follows(message.followers[index], state.cursor, limit)
    except KindredError as error:
        decision = retry.decide(error, deps.attempt, message.delivery.waits)
        if decision.action is not retry.Action.GIVE_UP:
            raise
        skipped[decision.reason] += 1  # record this follower and go on
        done, state = True, PageState()
    else:
        cap = options.max_follows_per_follower
        step = advance(state, len(page.accounts), page.cursor, cap, graph.max_page)
        counts.update(account.id for account in page.accounts[: step.keep])
        skipped.update(page.dropped)
        done, state = step.done, step.state
        counted += int(done)
    if done:
        index, state = index + 1, PageState()
    encoded = tally.encode(counts)
    last = index == len(message.followers)
    if len(encoded) > SPILL_BYTES or last:
        if counts:
            name = names.part_blob(analysis, group, len(parts))
            deps.blobs.write(name, encoded)
            parts.append(name)
        encoded = b""
    if last:
        _end_group(deps, message, parts, counted, skipped)
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
        ),
    )


def _status_due(index: int, state: PageState) -> bool:
    """Every STATUS_EVERY-th page of one follower's follows, and every STATUS_EVERY-th
    follower's first page: a read per ten upstream calls at most, never on a chain's first."""
    if state.pages:
        return state.pages % STATUS_EVERY == 0
    return index > 0 and index % STATUS_EVERY == 0


def _past_crawl(deps: Deps, analysis: str) -> bool:
    """True when the analysis is gone or has moved past the crawl: its chains stop."""
    doc = deps.store.get(names.analysis_doc(analysis))
    return doc is None or doc.get("status") in PAST_CRAWL


def _end_group(
    deps: Deps, message: ReadFollows, parts: list[str], counted: int, skipped: Counter[str]
) -> None:
    progressive.group_ended(deps, message)  # an interim, at a step; asked first: carried below
    deps.store.create(
        names.group_doc(message.analysis, message.group),
        {
            "group": message.group,
            "followers": len(message.followers),
            "counted": counted,
            "skipped": dict(skipped),
            "parts": parts,
            # Top-level, so a status sums the group's calls in one read.
            "calls": Meter.total([message.cost, deps.meter]).upstream_calls,
            "cost": message.cost,
            "at": deps.clock.now(),
        },
    )
    maybe_aggregate(deps, message.analysis)  # made now or by a delivery whose answer was lost


def maybe_aggregate(deps: Deps, analysis: str) -> bool:
    """Start the aggregate once every group is recorded; safe to call from any number of ends."""
    followers = deps.store.get(names.followers_done_doc(analysis))
    if followers is None:
        return False
    if deps.store.count(names.groups_collection(analysis)) < followers["groups_total"]:
        return False
    return send(deps, names.aggregate_task(analysis), Aggregate(analysis=analysis))
