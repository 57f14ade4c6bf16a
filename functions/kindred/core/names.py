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


def interims_collection(analysis: str) -> str:
    return f"{ANALYSES}/{analysis}/interims"


def interim_doc(analysis: str, step: int) -> str:
    """One per interim ranking (core.interim), named by the step it was asked at."""
    return f"{interims_collection(analysis)}/s{step:06d}"


def part_blob(analysis: str, group: int, part: int) -> str:
    return f"analyses/{analysis}/parts/g{group:06d}-{part:04d}.tsv.z"


def checkpoints_prefix(analysis: str) -> str:
    return f"analyses/{analysis}/checkpoints/"


def checkpoint_blob(analysis: str, group: int, followers: int) -> str:
    """What a chain has read after `followers` of its group (core.interim.checkpoints)."""
    return f"{checkpoints_prefix(analysis)}g{group:06d}-f{followers:06d}.json"


def checkpoint_group(name: str) -> int | None:
    """The group of a `checkpoint_blob` name; None for any other object."""
    leaf = name.rpartition("/")[2]
    digits = leaf[1:7]
    if not (leaf.startswith("g") and leaf.endswith(".json") and digits.isdigit()):
        return None
    return int(digits)


def popular_blob(analysis: str) -> str:
    return f"analyses/{analysis}/popular.json"


def profiles_blob(analysis: str, batch: int) -> str:
    return f"analyses/{analysis}/profiles/b{batch:04d}.json"


def merged_prefix(analysis: str, interim: int | None = None) -> str:
    """Where a merge of many parts keeps its intermediate runs: the aggregate's, or those of
    the interim ranking at `interim` groups, so that no two merges share a name."""
    folder = "merged" if interim is None else f"interims/s{interim:06d}"
    return f"analyses/{analysis}/{folder}"


def result_blob(analysis: str) -> str:
    return f"analyses/{analysis}/result.json"


def followers_task(analysis: str, page: int) -> str:
    return f"{analysis}-followers-{page}"


def follows_task(analysis: str, group: int, index: int, page: int) -> str:
    return f"{analysis}-g{group}-f{index}-p{page}"


def aggregate_task(analysis: str, attempt: int = 0) -> str:
    return f"{analysis}-aggregate-{attempt}"


def interim_task(analysis: str, step: int) -> str:
    return f"{analysis}-interim-{step}"


def profiles_task(analysis: str, batch: int) -> str:
    return f"{analysis}-profiles-{batch}"


def rank_task(analysis: str, attempt: int = 0) -> str:
    return f"{analysis}-rank-{attempt}"


MAIL = "mail"  # one document a job with a notify_email: to whom, its state, the client's day


def mail_doc(job: str) -> str:
    return f"{MAIL}/{job}"


def mail_attempt_doc(job: str, attempt: int) -> str:
    """Created by the one delivery of the job's mail task that sends at this attempt."""
    return f"{MAIL}/{job}/attempts/a{attempt:03d}"


def mail_task(job: str) -> str:
    return f"{job}-mail"
