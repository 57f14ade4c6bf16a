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
