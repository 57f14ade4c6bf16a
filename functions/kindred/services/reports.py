"""What a user reads: the status of an analysis while it runs, and its result."""

from __future__ import annotations

import math
from typing import Any

from kindred.core import names
from kindred.core.errors import NotFound
from kindred.services.deps import Deps

PAGE = 100  # followers per page (one group), as the crawl asks for them
# A guess until measured: each follower costs a page, some a page more per 100 follows.
CALLS_PER_GROUP = PAGE * 1.2
PROFILE_CALLS = 12  # 300 candidates, 25 profiles a call


def status(deps: Deps, analysis: str) -> dict[str, Any]:
    """Status, progress counts and an estimate of the time left; raises NotFound."""
    doc = _doc(deps, analysis)
    options = doc["options"]
    in_scope = min(options["max_followers"], doc["account"]["followers_count"])
    followers = (
        deps.store.get(names.followers_done_doc(analysis)) if doc["status"] == "follows" else None
    )
    groups_expected = followers["groups_total"] if followers else math.ceil(in_scope / PAGE)
    groups_done = (
        deps.store.count(names.groups_collection(analysis))
        if doc["status"] in ("followers", "follows")
        else (groups_expected if doc["status"] not in ("queued",) else 0)
    )
    report: dict[str, Any] = {
        "id": analysis,
        "status": doc["status"],
        "account": doc["account"],
        "options": options,
        "progress": {
            "followers_in_scope": followers["followers_total"] if followers else in_scope,
            "groups_done": groups_done,
            "groups_total": groups_expected,
            "share": round(groups_done / groups_expected, 4) if groups_expected else 1.0,
        },
        "created_at": doc["created_at"],
        "updated_at": doc.get("updated_at"),
        "forced": doc.get("forced", 0),
    }
    if doc["status"] == "done":
        report["finished_at"] = doc.get("finished_at")
        report["cost"] = doc["result"]["cost"]
        report["estimated_seconds_left"] = 0
    else:
        rate = deps.settings.upstream_rate(doc["provider"])
        left = (groups_expected - groups_done) * CALLS_PER_GROUP + PROFILE_CALLS
        report["estimated_seconds_left"] = round(left / rate, 1)
    return report


def result(deps: Deps, analysis: str) -> dict[str, Any]:
    """The result of a finished analysis; raises NotFound, or returns the status if unfinished."""
    doc = _doc(deps, analysis)
    if doc["status"] != "done":
        return status(deps, analysis)
    return doc["result"]


def _doc(deps: Deps, analysis: str) -> dict[str, Any]:
    check_id(analysis)
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None:
        raise NotFound(f"no analysis {analysis!r}")
    return doc


def check_id(analysis: str) -> None:
    """Raises NotFound for what cannot be an analysis id, before any lookup is spent on it."""
    if not (8 <= len(analysis) <= 64 and analysis.isalnum()):
        raise NotFound(f"no analysis {analysis[:80]!r}")
