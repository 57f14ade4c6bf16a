"""Progressive results: a ranking over the groups finished so far, while the crawl runs.

The end of a group (services/crawl.py) counts the finished groups; at a count of the schedule
(`core.interim.schedule`), short of the last group, it asks for an interim ranking: a task on
the pipeline queue named by that count, so ends that see the same count ask once, and a count
that two ends step over together is left out (the next one covers it). The last group's end
starts the aggregate instead (its candidates are the full crawl's ranking, and the result
follows), so no interim runs beside them and each one's cost reaches the result.

The ranking reads the finished groups' records, merges their runs from Cloud Storage as the
aggregate does (`aggregate.most_followed`, with intermediate runs of its own), and writes one
document, `analyses/{id}/interims/s{count}`: no upstream call, and one Firestore write per
interim, `core.interim.MOST` at most. Its cost rides in the document, and the rank step adds
every interim's to the result's.

An interim ranks by the overlap share (`core.interim.overlap_share`): the final score needs
the candidates' follower counts, which only their profiles give, fetched at the end. So the
interim's order is the aggregate's order of the candidates, and once the analysis is done
the status's interim is the result itself (`score: cosine`, `final: true`), with how far it
moved from the last interim.
"""

from __future__ import annotations

from typing import Any

from kindred.core import interim, names
from kindred.core.messages import LookupFollows, RankInterim, ReadFollows
from kindred.core.options import options_from_stored
from kindred.core.timestamps import rfc3339
from kindred.services.aggregate import most_followed
from kindred.services.deps import Deps
from kindred.services.handoff import send

ENDED = ("done", "failed")
RUNNING_SCORE = "overlap_share"
FINAL_SCORE = "cosine"


def group_ended(deps: Deps, message: LookupFollows | ReadFollows) -> bool:
    """After a group's record: ask for an interim if the finished groups are a step of the
    schedule and not all of them (the aggregate's, then the result, rank those). Two reads;
    True if it asked (False for a count asked for already)."""
    page = deps.graph(message.provider).max_page
    steps = interim.schedule(interim.max_groups(message.options.max_followers, page))
    finished = deps.store.count(names.groups_collection(message.analysis))
    if finished not in steps:
        return False
    followers = deps.store.get(names.followers_done_doc(message.analysis))
    if followers is not None and finished >= followers["groups_total"]:
        return False
    return send(
        deps,
        names.interim_task(message.analysis, finished),
        RankInterim(analysis=message.analysis, finished=finished),
    )


def interim_step(deps: Deps, message: RankInterim) -> None:
    """Rank the finished groups' candidates by overlap share; write the interim document."""
    analysis = message.analysis
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] in ENDED:
        return  # the result says it all now, or there is nothing to say
    options = options_from_stored(doc["options"])
    groups = deps.store.list(names.groups_collection(analysis))
    scratch = names.merged_prefix(analysis, message.finished)
    top = most_followed(deps, analysis, groups, options.results, doc["account"]["id"], scratch)
    ranking = [{"id": popular.id, "overlap": popular.overlap} for popular in top]
    before = latest(deps, analysis, below=message.finished)
    moved = _moved(before["results"], ranking) if before else None
    deps.store.create(
        names.interim_doc(analysis, message.finished),
        {
            "step": message.finished,
            "groups": len(groups),
            "followers": sum(group["followers"] for group in groups),
            "followers_analyzed": sum(group["counted"] for group in groups),
            "results": ranking,
            "moved": moved,
            "cost": message.cost,  # carried: the ask and this ranking, this write too
            "at": deps.clock.now(),
        },
    )


def latest(deps: Deps, analysis: str, below: int | None = None) -> dict[str, Any] | None:
    """The interim of the most groups (of fewer than `below`), or None: one query."""
    where = [] if below is None else [("step", "<", below)]
    found = deps.store.query(
        names.interims_collection(analysis), where, [("step", "descending")], limit=1
    )
    return found[0][1] if found else None


def costs(deps: Deps, analysis: str) -> list[Any]:
    """What each interim of the analysis cost, as its document carries it."""
    return [doc["cost"] for doc in deps.store.list(names.interims_collection(analysis))]


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
        "followers": result["followers_in_scope"],
        "followers_analyzed": result["followers_analyzed"],
        "basis": result["coverage"],
        "moved": _moved(last["results"], ranking) if last else None,
        "at": result["finished_at"],
        "results": ranking,
    }


def _moved(before: list[dict[str, Any]], now: list[dict[str, Any]]) -> dict[str, float]:
    return interim.movement([row["id"] for row in before], [row["id"] for row in now]).as_dict()
