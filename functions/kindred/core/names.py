"""Deterministic names of documents, objects and tasks: the same step always gets the same name,
so a repeated delivery finds its own earlier work instead of doing it twice."""

from __future__ import annotations

from urllib.parse import quote

ANALYSES = "analyses"
FOLLOWS = "follows"  # stored follows lists; the bucket's lifecycle rule expires them


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


def dropped_interims_collection(analysis: str) -> str:
    return f"{ANALYSES}/{analysis}/dropped_interims"


def dropped_interim_doc(analysis: str, step: int) -> str:
    """What an interim ranking cost when it merged and then had nothing to write."""
    return f"{dropped_interims_collection(analysis)}/s{step:06d}"


def part_blob(analysis: str, group: int, part: int) -> str:
    return f"analyses/{analysis}/parts/g{group:06d}-{part:04d}.tsv.z"


def reused_part_blob(analysis: str, group: int, digest: str) -> str:
    """The counts of a group's followers served from stored follows lists: named by their
    content, since two deliveries of the lookup may find different entries."""
    return f"analyses/{analysis}/parts/g{group:06d}-r{digest}.tsv.z"


def follows_entry(provider: str, account: str) -> str:
    """An account's stored follows (core.reuse), for any analysis on that provider."""
    return f"{FOLLOWS}/{provider}/{quote(account, safe=':')}.z"


def pending_blob(analysis: str, group: int, index: int, part: int) -> str:
    """A long follows list's accounts, waiting for the follower's weight (services.weighting)."""
    return f"analyses/{analysis}/pending/g{group:06d}-f{index:04d}-{part:03d}.tsv.z"


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


def lookup_task(analysis: str, group: int) -> str:
    return f"{analysis}-g{group}-lookup"


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


# Fast mode (services/fast.py).


def audience_blob(analysis: str, page: int) -> str:
    """One page of the target's followers, kept for the later rounds of the sample."""
    return f"analyses/{analysis}/audience/p{page:06d}.txt"


def audience_hashes_blob(analysis: str) -> str:
    """Every follower in scope, as sorted 8-byte hashes: what a candidate's followers meet."""
    return f"analyses/{analysis}/audience.bin"


def estimate_blob(analysis: str, round_: int) -> str:
    return f"analyses/{analysis}/fast/estimate-r{round_:03d}.json"


def candidates_blob(analysis: str) -> str:
    """The candidates with their profiles' follower counts, once they are fetched."""
    return f"analyses/{analysis}/fast/candidates.json"


def seen_blob(analysis: str, index: int, part: int) -> str:
    return f"analyses/{analysis}/fast/seen/c{index:04d}-{part:04d}.bin"


def rounds_collection(analysis: str) -> str:
    return f"{ANALYSES}/{analysis}/rounds"


def round_doc(analysis: str, round_: int) -> str:
    """Written once a round is launched whole: how many groups and verified candidates the
    analysis has when the round is over."""
    return f"{rounds_collection(analysis)}/r{round_:04d}"


def verified_collection(analysis: str) -> str:
    return f"{ANALYSES}/{analysis}/verified"


def verified_doc(analysis: str, index: int) -> str:
    return f"{verified_collection(analysis)}/c{index:04d}"


def sample_task(analysis: str, round_: int, page: int) -> str:
    return f"{analysis}-sample-{round_}-{page}"


def estimate_task(analysis: str, round_: int, attempt: int = 0) -> str:
    return f"{analysis}-estimate-{round_}-{attempt}"


def decide_task(analysis: str, round_: int, attempt: int = 0) -> str:
    return f"{analysis}-decide-{round_}-{attempt}"


def candidate_task(analysis: str, index: int, page: int) -> str:
    return f"{analysis}-c{index}-p{page}"
