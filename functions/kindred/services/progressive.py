"""Progressive results: a ranking over the followers read so far, while the crawl runs.

A chain over a group's followers (services/crawl.py) carries its tally in its task payload
and writes only at its end. So that an interim can rank what every chain has read, a chain
leaves its tally in Cloud Storage at its checkpoints (`core.interim.checkpoints`: after 1/16,
1/8, 1/4, 1/2 and 3/4 of its followers): one JSON object with the counts it carries, as its
payload encodes them (under SPILL_BYTES: past that, they are spilled), the names of the parts
it spilled before, how many followers it has done and read, and its calls. No Firestore
write; one Storage write, five times a chain, which rides in the chain's cost.

At a checkpoint, and at a group's end, the chain asks for an interim ranking when the crawl
has reached a step of `core.interim.STEPS` (`step_to_ask`, judged from its own place: no
read): a task on the pipeline queue named by that step, so the chains that reach it ask
once. The ask starts at its own cost, and what it counted (the task) rides on in what the
chain sends or writes next, so an ask refused by name, or an interim that ranks nothing, is
counted as Cloud Tasks saw it.

The ranking lists the finished groups' records and each unfinished chain's latest checkpoint
(one list of the checkpoints, one read each), merges their runs from Cloud Storage as the
aggregate does (`aggregate.most_followed`, with intermediate runs of its own: the counts the
checkpoints carry, FAN_IN of them a run, and the merges past FAN_IN parts), and writes one
document, `analyses/{id}/interims/s{step}`: no upstream call, and one Firestore write per
interim, `core.interim.MOST` at most. Its cost rides in the document, and the rank step adds
every interim's to the result's; an interim that finds the crawl over (the aggregate began)
writes nothing, so none lands after the rank step added them up.

An interim ranks by the overlap share (`core.interim.overlap_share`): the final score needs
the candidates' follower counts, which only their profiles give, fetched at the end. So the
interim's order is the aggregate's order of the candidates, and once the analysis is done
the status's interim is the result itself (`score: cosine`, `final: true`), with how far it
moved from the last interim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from kindred.core import interim, names, tally
from kindred.core.cost import Meter
from kindred.core.messages import LookupFollows, RankInterim, ReadFollows
from kindred.core.options import options_from_stored
from kindred.core.timestamps import rfc3339
from kindred.services.aggregate import FAN_IN, most_followed
from kindred.services.deps import Deps
from kindred.services.handoff import send
from kindred.services.sweep import CRAWLING

RUNNING_SCORE = "overlap_share"
FINAL_SCORE = "cosine"


def checkpoint(
    deps: Deps,
    message: ReadFollows,
    index: int,
    counted: int,
    encoded: bytes,
    parts: Sequence[str],
) -> None:
    """After a follows page that ended the follower before `index`: at a checkpoint, leave
    the chain's tally (the names of the `parts` it spilled, the `encoded` counts it carries)
    in Cloud Storage, one object, then ask for an interim if the crawl reached a step."""
    if message.options.mode != "exact":  # fast mode's rounds have answers of their own
        return
    if index == message.index or index not in interim.checkpoints(len(message.followers)):
        return
    calls = _calls(deps, message)
    record = {
        "group": message.group,
        "followers": message.reused + index,  # done: served, read, or skipped
        "counted": counted,  # read
        "parts": list(parts),
        "tally": tally.as_text(encoded) if encoded else "",  # under SPILL_BYTES, or spilled
        "calls": calls,
        "at": deps.clock.now(),
    }
    deps.blobs.write_json(names.checkpoint_blob(message.analysis, message.group, index), record)
    _ask(deps, message, calls)


def group_ended(deps: Deps, message: LookupFollows | ReadFollows) -> None:
    """Before a group's record (which carries the ask): ask for an interim if the crawl
    reached a step. No read."""
    if message.options.mode == "exact":
        _ask(deps, message, _calls(deps, message))


def _calls(deps: Deps, message: LookupFollows | ReadFollows) -> int:
    """The chain's upstream calls so far, this invocation's included."""
    return Meter.total([message.cost, deps.meter]).upstream_calls


def _ask(deps: Deps, message: LookupFollows | ReadFollows, calls: int) -> None:
    step = interim.step_to_ask(message.group, calls)
    if step is not None:  # at its own cost: a repeat, refused by name, carries nothing away
        ask = RankInterim(analysis=message.analysis, reached=step)
        send(deps, names.interim_task(message.analysis, step), ask, carry=False)


def interim_step(deps: Deps, message: RankInterim) -> None:
    """Rank the candidates over the followers read so far by overlap share; write the
    interim document, unless the crawl is over, the step was ranked already, or nothing was
    read since the last interim."""
    analysis, step = message.analysis, message.reached
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or not _crawling(doc) or deps.store.get(names.interim_doc(analysis, step)):
        return  # gone, ended or aggregating (the result says it all), or a repeat
    options = options_from_stored(doc["options"])
    groups = deps.store.list(names.groups_collection(analysis))
    chains = latest_checkpoints(deps, analysis, {group["group"] for group in groups})
    rested = groups + chains
    followers = sum(record["followers"] for record in rested)
    if followers <= _followers(latest(deps, analysis)):
        return  # nothing read since the last one (two steps judged at one checkpoint)
    scratch = names.merged_prefix(analysis, step)
    sources = [*rested, {"parts": carried_runs(deps, chains, scratch)}]
    top = most_followed(deps, analysis, sources, options.results, doc["account"]["id"], scratch)
    if not _crawling(deps.store.get(names.analysis_doc(analysis))):
        # The aggregate began meanwhile: no ranking now, but the merge's writes are counted.
        _dropped(deps, message)
        return
    before = latest(deps, analysis)  # again: one ranked beside this one may have landed
    if followers <= _followers(before):
        _dropped(deps, message)
        return
    ranking = [{"id": popular.id, "overlap": popular.overlap} for popular in top]
    moved = _moved(before["results"], ranking) if before else None
    deps.store.create(
        names.interim_doc(analysis, step),
        {
            "step": step,
            "groups": len(rested),
            "finished": len(groups),
            "followers": followers,
            "followers_analyzed": sum(record["counted"] for record in rested),
            "calls": sum(record["calls"] for record in rested),
            "by_group": _by_group(rested),
            "results": ranking,
            "moved": moved,
            "cost": message.cost,  # carried: this ranking's reads, and this write
            "at": deps.clock.now(),
        },
    )


def carried_runs(deps: Deps, records: list[dict[str, Any]], scratch: str) -> list[str]:
    """The counts that checkpoint `records` carry, FAN_IN records merged into a run under
    `scratch` at a time, so that merging them holds FAN_IN streams at most: their names."""
    carried = [record["tally"] for record in records if record["tally"]]
    made = []
    for start in range(0, len(carried), FAN_IN):
        batch = carried[start : start + FAN_IN]
        runs = [tally.read_run(_slices(tally.from_text(text))) for text in batch]
        made.append(f"{scratch}/carried-{start // FAN_IN:05d}.tsv.z")
        deps.blobs.write(made[-1], tally.write_run(tally.merge_sorted_runs(runs)))
    return made


def _slices(data: bytes, size: int = 16_384) -> Iterator[bytes]:
    """`data` a slice at a time, as a stream comes: read_run inflates it as it goes."""
    return (data[start : start + size] for start in range(0, len(data), size))


def _by_group(records: list[dict[str, Any]]) -> list[int]:
    """The followers done in each group (by its number), 0 where none is recorded yet."""
    done = [0] * (1 + max((record["group"] for record in records), default=-1))
    for record in records:
        done[record["group"]] = record["followers"]
    return done


def _followers(doc: dict[str, Any] | None) -> int:
    return doc["followers"] if doc else 0


def _crawling(doc: dict[str, Any] | None) -> bool:
    return doc is not None and doc["status"] in CRAWLING


def latest_checkpoints(deps: Deps, analysis: str, finished: set[int]) -> list[dict[str, Any]]:
    """The latest checkpoint record of each chain not in `finished`: one list, a read each."""
    latest_name: dict[int, str] = {}
    for name in sorted(deps.blobs.sizes(names.checkpoints_prefix(analysis))):
        group = names.checkpoint_group(name)
        if group is not None and group not in finished:
            latest_name[group] = name  # in name order, the last has the most followers
    return [json.loads(deps.blobs.read(name)) for name in latest_name.values()]


def latest(deps: Deps, analysis: str) -> dict[str, Any] | None:
    """The interim ranked last, or None: one query. (By time, not step: a chain that reads
    slowly judges a step late, and a later interim never rests on less.)"""
    found = deps.store.query(names.interims_collection(analysis), (), [("at", "descending")], 1)
    return found[0][1] if found else None


def _dropped(deps: Deps, message: RankInterim) -> None:
    """An interim that merged (Storage writes under its scratch folder) and then had nothing to
    write: its cost in a document of its own, so the result still counts it (rare: a race
    with the aggregate's start or with an interim beside it; one write, at most one a step)."""
    record = {"step": message.reached, "cost": message.cost}
    deps.store.create(names.dropped_interim_doc(message.analysis, message.reached), record)


def costs(deps: Deps, analysis: str) -> list[Any]:
    """What each interim of the analysis cost, as its document carries it (dropped ones too)."""
    return [
        doc["cost"]
        for collection in (names.interims_collection, names.dropped_interims_collection)
        for doc in deps.store.list(collection(analysis))
    ]


def report(
    deps: Deps, analysis: str, doc: dict[str, Any], stage: str, in_scope: int, groups: int
) -> dict[str, Any] | None:
    """The status's `interim`: the last interim while the analysis runs, the result once done
    (None before the first interim, and for a failed analysis)."""
    if stage in ("queued", "failed"):
        return None
    last = latest(deps, analysis)
    if stage == "done":
        return _final(doc["result"], last, groups)
    if last is None:
        return None
    analyzed = last["followers_analyzed"]
    return {
        "final": False,
        "score": RUNNING_SCORE,
        "step": last["step"],
        "groups": last["groups"],
        "groups_finished": last.get("finished", last["groups"]),
        "followers": last["followers"],
        "followers_analyzed": analyzed,
        "basis": interim.basis(last["followers"], in_scope),
        "moved": last["moved"],
        "at": rfc3339(last["at"]),
        "results": [
            {
                "id": row["id"],
                "handle": None,  # handles come with the profiles, at the end
                "overlap": row["overlap"],
                "score": round(interim.overlap_share(row["overlap"], analyzed), 6),
            }
            for row in last["results"]
        ],
    }


def _final(result: dict[str, Any], last: dict[str, Any] | None, groups: int) -> dict[str, Any]:
    ranking = [
        {"id": s["id"], "handle": s["handle"], "overlap": s["overlap"], "score": s["score"]}
        for s in result["similar"]
    ]
    return {
        "final": True,
        "score": FINAL_SCORE,
        "step": None,
        "groups": groups,
        "groups_finished": groups,
        "followers": result["followers_in_scope"],
        "followers_analyzed": result["followers_analyzed"],
        "basis": result["coverage"],
        "moved": _moved(last["results"], ranking) if last else None,
        "at": result["finished_at"],
        "results": ranking,
    }


def _moved(before: list[dict[str, Any]], now: list[dict[str, Any]]) -> dict[str, float]:
    return interim.movement([row["id"] for row in before], [row["id"] for row in now]).as_dict()
