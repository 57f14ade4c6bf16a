"""Deterministic names of documents, objects and tasks: the same step always gets the same name,
so a repeated delivery finds its own earlier work instead of doing it twice."""

from __future__ import annotations

ANALYSES = "analyses"


def analysis_doc(analysis: str) -> str:
    return f"{ANALYSES}/{analysis}"


def groups_collection(analysis: str) -> str:
    return f"{ANALYSES}/{analysis}/groups"


def group_doc(analysis: str, group: int) -> str:
    return f"{groups_collection(analysis)}/g{group:06d}"


def followers_done_doc(analysis: str) -> str:
    """Written once, by the end of the followers: how many groups to wait for."""
    return f"{ANALYSES}/{analysis}/stages/followers"


def part_blob(analysis: str, group: int, part: int) -> str:
    return f"analyses/{analysis}/parts/g{group:06d}-{part:04d}.tsv.z"


def pending_blob(analysis: str, group: int, index: int, part: int) -> str:
    """A long follows list's accounts, waiting for the follower's weight (services.weighting)."""
    return f"analyses/{analysis}/pending/g{group:06d}-f{index:04d}-{part:03d}.tsv.z"


def popular_blob(analysis: str) -> str:
    return f"analyses/{analysis}/popular.json"


def profiles_blob(analysis: str, batch: int) -> str:
    return f"analyses/{analysis}/profiles/b{batch:04d}.json"


def result_blob(analysis: str) -> str:
    return f"analyses/{analysis}/result.json"


def followers_task(analysis: str, page: int) -> str:
    return f"{analysis}-followers-{page}"


def follows_task(analysis: str, group: int, index: int, page: int) -> str:
    return f"{analysis}-g{group}-f{index}-p{page}"


def aggregate_task(analysis: str, attempt: int = 0) -> str:
    return f"{analysis}-aggregate-{attempt}"


def profiles_task(analysis: str, batch: int) -> str:
    return f"{analysis}-profiles-{batch}"


def rank_task(analysis: str, attempt: int = 0) -> str:
    return f"{analysis}-rank-{attempt}"
