"""What a user reads: the status of an analysis while it runs, and its result.

Both answers share one vocabulary: the result is the status of a finished analysis plus what
it found, under the same names, with times in RFC 3339.
"""

from __future__ import annotations

from typing import Any

from kindred.core import names, sampling
from kindred.core.errors import NotFound
from kindred.core.progress import PRIOR_CALLS_PER_FOLLOWER, Observed, estimate
from kindred.core.timestamps import rfc3339
from kindred.services import progressive
from kindred.services.deps import Deps

RESULT_FIELDS = (
    "followers_analyzed", "followers_reused", "coverage", "skipped", "similar", "popular",
    "cost", "mode", "estimate", "confidence", "fast",
)  # fmt: skip
TIMES = ("created_at", "started_at", "updated_at", "finished_at")


def status(deps: Deps, analysis: str) -> dict[str, Any]:
    """Status, progress and an estimate of the time left; raises NotFound."""
    return _report(deps, analysis, _doc(deps, analysis))


def result(deps: Deps, analysis: str) -> dict[str, Any]:
    """The status, and once done what the analysis found; raises NotFound."""
    doc = _doc(deps, analysis)
    report = _report(deps, analysis, doc)
    if report["status"] == "done":
        report |= {field: doc["result"][field] for field in RESULT_FIELDS if field in doc["result"]}
        report["followers_in_scope"] = report["progress"]["followers_in_scope"]
    return report


def _report(deps: Deps, analysis: str, doc: dict[str, Any]) -> dict[str, Any]:
    result = doc.get("result") or {}
    followers = (
        deps.store.get(names.followers_done_doc(analysis))
        if doc["status"] in ("followers", "follows")
        else None
    )
    # The crawl is `follows` once the followers are all paged: their record says so.
    stage = "follows" if doc["status"] == "followers" and followers else doc["status"]
    groups = _finished_groups(deps, analysis, stage)
    in_scope = (followers or {}).get("followers_total") or min(
        doc["options"]["max_followers"], doc["account"]["followers_count"]
    )
    graph = deps.graph(doc["provider"])  # no call: its page and batch sizes
    progress = estimate(
        Observed(
            status=stage,
            followers_in_scope=in_scope,
            top_candidates=doc["options"]["top_candidates"],
            elapsed=deps.clock.now() - doc.get("started_at", deps.clock.now()),
            rate=_rate_share(deps, doc["provider"]),
            followers_calls=((followers or {}).get("cost") or {}).get("upstream_calls"),
            groups_total=(followers or {}).get("groups_total"),
            groups_done=groups["groups"],
            followers_done=groups["followers"],
            follows_calls_done=groups["calls"],
            calls_final=result.get("cost", {}).get("upstream_calls"),
            page=graph.max_page,
            batch=graph.max_batch,
            **_planned(deps, doc, in_scope, graph.max_page, graph.max_batch),
        )
    )
    return {
        "id": analysis,
        "status": stage,
        "provider": doc["provider"],
        "account": doc["account"],
        "options": doc["options"],
        "progress": {
            "share": progress.share,
            "followers_in_scope": result.get("followers_in_scope", in_scope),
            "followers_analyzed": result.get("followers_analyzed", groups["counted"]),
            "followers_estimate": progress.followers_estimate,
            "upstream_calls": progress.upstream_calls,
            "upstream_calls_expected": progress.upstream_calls_expected,
            "estimated_seconds_left": None
            if stage == "failed"
            else progress.estimated_seconds_left,
            "fast": _decision(doc.get("fast")),
        },
        "interim": progressive.report(deps, analysis, doc, stage, in_scope, groups["groups"]),
        **{time: rfc3339(doc.get(time)) for time in TIMES},
        "sweeper_moves": doc.get("forced", 0),
        "error": doc.get("error"),
    }


def _decision(fast: dict[str, Any] | None) -> dict[str, Any] | None:
    """Fast mode's last decision (services.fast), its time in RFC 3339."""
    if fast is None or "decided_at" not in fast:
        return fast
    return {**fast, "decided_at": rfc3339(fast["decided_at"])}


def _planned(
    deps: Deps, doc: dict[str, Any], in_scope: int, page: int, batch: int
) -> dict[str, Any]:
    """Fast mode's calls as its last decision planned them, from the calls made then (before
    the first decision: its first round's); nothing in the exact mode, whose calls are known
    from the start."""
    if doc["options"].get("mode") != "fast":
        return {}
    decided = doc.get("fast") or {}
    if "calls_planned" in decided:
        since = deps.clock.now() - decided.get("decided_at", deps.clock.now())
        return {"planned": decided["calls_planned"], "spent": decided["calls_spent"],
                "since": since}  # fmt: skip
    top = doc["options"]["top_candidates"]
    return {"planned": sampling.first_calls(in_scope, top, PRIOR_CALLS_PER_FOLLOWER, page, batch)}


def _finished_groups(deps: Deps, analysis: str, stage: str) -> dict[str, int]:
    """Groups ended, followers in them (counted, and with the skipped), their upstream calls."""
    if stage == "queued":
        return {"groups": 0, "followers": 0, "counted": 0, "calls": 0}
    count, sums = deps.store.totals(
        names.groups_collection(analysis), ("followers", "counted", "calls")
    )
    return {"groups": count, **sums}


def _rate_share(deps: Deps, provider: str) -> float:
    """The provider queue's calls per second, shared by the analyses crawling on it."""
    crawling = deps.store.count(
        names.ANALYSES, [("provider", "==", provider), ("status", "in", ["followers", "follows"])]
    )
    return deps.settings.upstream_rate(provider) / max(crawling, 1)


def _doc(deps: Deps, analysis: str) -> dict[str, Any]:
    check_id(analysis)
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None:
        raise NotFound(f"no analysis {analysis!r}")
    return doc


def check_id(analysis: str) -> None:
    """Raises NotFound for what cannot be an analysis id, before any lookup is spent on it."""
    if not (8 <= len(analysis) <= 64 and analysis.isalnum()):
        raise NotFound(f"no analysis {analysis!r}")
