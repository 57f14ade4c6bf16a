"""Fast mode (option `mode: "fast"`): a sample of the followers read in rounds, candidates
verified by their own followers, and a stopping rule (core.sampling; docs/decisions/0010).

    PageFollowers ... (pages kept: services.rounds) ──> SampleFollowers ──> SampleFollowers ...
        a round of the sample: a chunk of kept pages a task ──> ReadFollows x groups of 100
    [round record] + every chain ended ──> Estimate ──> (round 1: FetchProfiles ...) ──> Decide
    Decide ──> SampleFollowers (a larger sample) | ReadCandidate x N (verify) | [result]
    ReadCandidate ──> ReadCandidate ...  one chain per candidate ──> [verified record]
        (exact, or bounded: stopped once the candidate could not reach the cut)

Each step makes at most one upstream call. The sample's follows chains are the exact mode's
own (services.crawl), numbered on from round to round. A round's record is written once the
round is launched whole; the last of its chains to end starts the Estimate (services.rounds).
Decide(r) reads only what rounds up to r recorded, so a repeated delivery decides the same.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import random
from collections import Counter
from dataclasses import replace
from typing import Any

from kindred.core import names, retry, sampling
from kindred.core.accounts import AccountProfile
from kindred.core.cost import Meter
from kindred.core.errors import KindredError, NotFound
from kindred.core.messages import Decide, Estimate, FetchProfiles, ReadCandidate, SampleFollowers
from kindred.core.options import AnalysisOptions, options_from_stored
from kindred.core.pagination import advance, page_size
from kindred.core.progress import PRIOR_CALLS_PER_FOLLOWER, PROFILE_BATCH
from kindred.core.ranking import Similar, top_popular
from kindred.core.timestamps import rfc3339
from kindred.services import crawl, rank, rounds
from kindred.services.aggregate import merge_parts
from kindred.services.deps import Deps
from kindred.services.handoff import send

CHUNK_PAGES = 50  # kept follower pages one SampleFollowers task reads
GROUP_SIZE = 100  # sampled followers per follows chain
HASH_BYTES = 8  # a follower's id, hashed, as a verification carries and compares it
SEEN_BYTES = 36_000  # hashes carried past this go to Cloud Storage (payload: 100 KB)
ENDED = ("done", "failed")


def sample_step(deps: Deps, message: SampleFollowers) -> None:
    analysis = message.analysis
    if _ended(deps, analysis):
        return
    chosen = list(message.carried)
    end = min(message.page + CHUNK_PAGES, message.pages)
    for page in range(message.page, end):
        text = deps.blobs.read(names.audience_blob(analysis, page)).decode()
        chosen += [
            follower
            for follower in text.split("\n")
            if follower
            and sampling.in_round(
                sampling.sample_key(analysis, follower), message.low, message.high
            )
        ]
    group, last = message.group, end >= message.pages
    while len(chosen) >= GROUP_SIZE or (last and chosen):
        crawl.start_group(deps, message, group, tuple(chosen[:GROUP_SIZE]), {})
        chosen, group = chosen[GROUP_SIZE:], group + 1
    if not last:
        following = replace(message, page=end, group=group, carried=tuple(chosen))
        send(deps, names.sample_task(analysis, message.round, end), following)
        return
    _record_round(deps, message.round, analysis, "sample", message.high, group, message.verified,
                  message.cost)  # fmt: skip


def _record_round(
    deps: Deps,
    round_: int,
    analysis: str,
    action: str,
    share: int,
    groups: int,
    verified: int,
    cost: Meter,
) -> None:
    """The round is launched whole: once `groups` groups and `verified` candidates are
    recorded, it is over (services.rounds)."""
    deps.store.create(
        names.round_doc(analysis, round_),
        {
            "round": round_,
            "action": action,
            "share": share,
            "groups": groups,
            "verified": verified,
            "cost": cost,
            "at": deps.clock.now(),
        },
    )
    rounds.maybe_estimate(deps, analysis)


def estimate_step(deps: Deps, message: Estimate) -> None:
    """Merge the counts of the sample's groups up to this round's; the first time, choose the
    candidates (the most followed in the sample) and fetch their profiles."""
    analysis, round_ = message.analysis, message.round
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] in ENDED:
        return
    record = deps.store.get(names.round_doc(analysis, round_)) or {}
    limit = record.get("groups", math.inf)
    groups = [g for g in deps.store.list(names.groups_collection(analysis)) if g["group"] < limit]
    merged = merge_parts(deps, analysis, [part for g in groups for part in g["parts"]])
    options = options_from_stored(doc["options"])
    if round_ == 1:
        kept = math.ceil(options.top_candidates * sampling.CANDIDATE_FACTOR)
        popular = top_popular(merged, kept, exclude=doc["account"]["id"])
        deps.blobs.write_json(
            names.popular_blob(analysis),
            {"fast": True, "popular": [[p.id, p.overlap] for p in popular]},
        )
        counts = [p.overlap for p in popular]
    else:
        summary = json.loads(deps.blobs.read(names.popular_blob(analysis)))
        ids = [entry[0] for entry in summary["popular"]]
        wanted = set(ids)
        found = dict(pair for pair in merged if pair[0] in wanted)
        counts = [found.get(account, 0) for account in ids]
    skipped: Counter[str] = Counter()
    for group in groups:
        skipped.update(group["skipped"])
    deps.blobs.write_json(
        names.estimate_blob(analysis, round_),
        {
            "round": round_,
            "counts": counts,
            "counted": sum(g["counted"] for g in groups),
            "reached": sum(g["followers"] for g in groups),
            "calls": sum(g["calls"] for g in groups),
            "groups": len(groups),
            "skipped": dict(skipped),
        },
    )
    if round_ == 1 and counts:
        profiles = FetchProfiles(analysis=analysis, provider=doc["provider"], cost=message.cost)
        send(deps, names.profiles_task(analysis, 0), profiles)
        return
    decide = Decide(analysis=analysis, round=round_, final=message.final, cost=message.cost)
    send(deps, names.decide_task(analysis, round_, int(message.final)), decide)


def decide_step(deps: Deps, message: Decide) -> None:
    analysis, round_ = message.analysis, message.round
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] in ENDED:
        return
    if not message.final and deps.store.get(names.round_doc(analysis, round_ + 1)):
        return  # decided already: the next round is under way
    options = options_from_stored(doc["options"])
    profiles = _candidates(deps, analysis, message.batches)
    read = _read(deps, doc, round_)
    evidence = _evidence(read, profiles, options, deps.graph(doc["provider"]).max_page)
    if message.final:
        decision = sampling.Decision(sampling.Action.FINISH, 0.0, reason="forced")
        decision = replace(decision, confidence=_confidence(evidence, analysis, round_))
    else:
        decision = sampling.decide(evidence, f"{analysis}-{round_}")
    now = deps.clock.now()
    progress = {
        "round": round_,
        "confidence": round(decision.confidence, 4),
        "followers_sampled": evidence.sampled,
        "candidates_verified": sum(c.overlap is not None for c in evidence.candidates),
        "candidates_bounded": sum(c.at_most is not None for c in evidence.candidates),
        "next": decision.action.value,
        "calls_spent": evidence.spent,
        "calls_planned": evidence.spent + decision.calls,  # the progress bar's end, for now
        "decided_at": now,
    }
    deps.store.update(names.analysis_doc(analysis), {"fast": progress, "updated_at": now})
    if decision.action is sampling.Action.FINISH:
        _finish(deps, message, doc, read, evidence, profiles, decision)
    elif decision.action is sampling.Action.SAMPLE:
        grow = SampleFollowers(
            analysis=analysis, provider=doc["provider"], options=options, round=round_ + 1,
            low=evidence.share, high=decision.share, pages=read["pages"],
            group=read["groups"], verified=read["verified_total"], cost=message.cost,
        )  # fmt: skip
        send(deps, names.sample_task(analysis, round_ + 1, 0), grow)
    else:
        _verify(deps, message, doc, read, evidence, decision)


def _verify(
    deps: Deps,
    message: Decide,
    doc: dict[str, Any],
    read: dict[str, Any],
    evidence: sampling.Evidence,
    decision: sampling.Decision,
) -> None:
    index = {c.id: i for i, c in enumerate(evidence.candidates)}
    for account in decision.verify:
        candidate = evidence.candidates[index[account]]
        chain = ReadCandidate(
            analysis=message.analysis,
            provider=doc["provider"],
            candidate=account,
            index=index[account],
            round=message.round + 1,
            cap=candidate.followers_count + candidate.page,
            followers=candidate.followers_count,
            stop_below=sampling.reach(
                decision.stop_below, evidence.audience, candidate.followers_count
            ),
        )
        send(deps, names.candidate_task(message.analysis, index[account], 0), chain, carry=False)
    verified = read["verified_total"] + len(decision.verify)
    _record_round(deps, message.round + 1, message.analysis, "verify", evidence.share,
                  read["groups"], verified, message.cost)  # fmt: skip


def candidate_step(deps: Deps, message: ReadCandidate) -> None:
    """One page of a candidate's followers; at the end, how many of them follow the target."""
    state = message.page
    if crawl.status_due(0, state) and crawl.past_crawl(deps, message.analysis):
        return
    graph = deps.graph(message.provider)
    limit = page_size(state, message.cap, graph.max_page)
    try:
        page = graph.followers(message.candidate, state.cursor, limit)
    except KindredError as error:
        decision = retry.decide(error, deps.attempt, message.delivery.waits)
        if decision.action is not retry.Action.GIVE_UP:
            raise
        _record_candidate(deps, message, None, decision.reason)
        return
    step = advance(state, len(page.accounts), page.cursor, message.cap, graph.max_page)
    seen = base64.b64decode(message.seen) + b"".join(
        _hash(account.id) for account in page.accounts[: step.keep]
    )
    parts = message.parts
    if step.done:
        _record_candidate(deps, replace(message, page=step.state), _overlap(deps, message, seen))
        return
    unread = max(0, message.followers - step.state.items)
    if unread < message.stop_below:  # only then can it fall out of reach
        found = _overlap(deps, message, seen)
        if found + unread < message.stop_below:
            ended = replace(message, page=step.state)
            _record_candidate(deps, ended, None, "out of reach", (found, found + unread))
            return
    if len(seen) > SEEN_BYTES:
        name = names.seen_blob(message.analysis, message.index, len(parts))
        deps.blobs.write(name, seen)
        seen, parts = b"", (*parts, name)
    following = replace(
        message, page=step.state, seen=base64.b64encode(seen).decode("ascii"), parts=parts
    )
    send(deps, names.candidate_task(message.analysis, message.index, step.state.pages), following)


def _hash(account: str) -> bytes:
    return hashlib.blake2b(account.encode(), digest_size=HASH_BYTES).digest()


def _split(data: bytes) -> set[bytes]:
    return {data[i : i + HASH_BYTES] for i in range(0, len(data), HASH_BYTES)}


def _overlap(deps: Deps, message: ReadCandidate, seen: bytes) -> int:
    followers = _split(seen)
    for part in message.parts:
        followers |= _split(deps.blobs.read(part))
    return len(followers & _audience(deps, message.analysis))


def _audience(deps: Deps, analysis: str) -> set[bytes]:
    """The followers in scope as hashes, made once from the kept pages by the first
    verification to end (a rewrite by another is the same bytes)."""
    name = names.audience_hashes_blob(analysis)
    try:
        return _split(deps.blobs.read(name))
    except NotFound:
        pass
    pages = (deps.store.get(names.followers_done_doc(analysis)) or {})["groups_total"]
    hashes = sorted(
        _hash(follower)
        for page in range(pages)
        for follower in deps.blobs.read(names.audience_blob(analysis, page)).decode().split("\n")
        if follower
    )
    deps.blobs.write(name, b"".join(hashes))
    return set(hashes)


def _record_candidate(
    deps: Deps,
    message: ReadCandidate,
    overlap: int | None,
    reason: str = "",
    bounds: tuple[int, int] | None = None,
) -> None:
    """The exact overlap; or None, with `bounds` (at least, at most) for a reading stopped
    out of reach, without for a candidate whose followers could not be read."""
    deps.store.create(
        names.verified_doc(message.analysis, message.index),
        {
            "index": message.index,
            "candidate": message.candidate,
            "round": message.round,
            "overlap": overlap,
            "bounds": list(bounds) if bounds else None,
            "reason": reason,
            "followers_read": message.page.items,
            "calls": Meter.total([message.cost, deps.meter]).upstream_calls,
            "cost": message.cost,
            "at": deps.clock.now(),
        },
    )
    rounds.maybe_estimate(deps, message.analysis)


def _candidates(deps: Deps, analysis: str, batches: int) -> list[AccountProfile | None]:
    """The candidates in their order, each with its profile (None where none came back),
    written once after the first round's profiles."""
    name = names.candidates_blob(analysis)
    try:
        kept = json.loads(deps.blobs.read(name))["profiles"]
        return [AccountProfile(*fields) if fields else None for fields in kept]
    except NotFound:
        pass
    summary = json.loads(deps.blobs.read(names.popular_blob(analysis)))
    if not batches:  # forced on: the batches the chain wrote
        while deps.blobs.exists(names.profiles_blob(analysis, batches)):
            batches += 1
    profiles = rank.read_profiles(deps, analysis, batches)
    ordered = [profiles.get(entry[0]) for entry in summary["popular"]]
    body = [dataclasses.astuple(p) if p else None for p in ordered]
    deps.blobs.write(name, json.dumps({"batches": batches, "profiles": body}).encode())
    return ordered


def _read(deps: Deps, doc: dict[str, Any], round_: int) -> dict[str, Any]:
    """What the rounds up to `round_` recorded: the sample's counts, the verified candidates,
    the upstream calls they made."""
    analysis = doc["id"]
    estimate = json.loads(deps.blobs.read(names.estimate_blob(analysis, round_)))
    record = deps.store.get(names.round_doc(analysis, round_)) or {}
    followers = deps.store.get(names.followers_done_doc(analysis)) or {}
    verified = {
        int(v["index"]): v
        for v in deps.store.list(names.verified_collection(analysis))
        if v["round"] <= round_
    }
    batches = _batches(deps, analysis)
    submit = doc.get("cost_submit") or {}
    spent = (
        int(Meter.from_dict(submit).upstream_calls)
        + int(Meter.from_dict(followers.get("cost")).upstream_calls)
        + estimate["calls"]
        + sum(int(v["calls"]) for v in verified.values())
        + batches
    )
    return {
        **estimate,
        "audience": int(followers.get("followers_total", 0)),
        "pages": int(followers.get("groups_total", 0)),
        "share": int(record.get("share", sampling.SHARE_UNIT)),
        "groups": int(record.get("groups", estimate["groups"])),
        "verified": verified,
        "verified_total": int(record.get("verified", len(verified))),
        "spent": spent,
        "batches": batches,
    }


def _batches(deps: Deps, analysis: str) -> int:
    try:
        return int(json.loads(deps.blobs.read(names.candidates_blob(analysis)))["batches"])
    except NotFound:
        return 0


def _evidence(
    read: dict[str, Any],
    profiles: list[AccountProfile | None],
    options: AnalysisOptions,
    page: int,
) -> sampling.Evidence:
    counted, reached = read["counted"], read["reached"]
    # The followers whose follows can be read: the audience less the share the sample lost.
    audience = round(read["audience"] * counted / reached) if reached else read["audience"]
    per_follower = read["calls"] / reached if reached else PRIOR_CALLS_PER_FOLLOWER
    candidates = []
    for index, (profile, count) in enumerate(zip(profiles, read["counts"], strict=True)):
        if profile is None:
            continue
        verified = read["verified"].get(index) or {}
        overlap, bounds = verified.get("overlap"), verified.get("bounds")
        least, most = bounds or (0, None)
        candidates.append(
            sampling.Candidate(
                profile.id, count, profile.followers_count, overlap,
                tried=bool(verified) and overlap is None and not bounds, page=page,
                at_least=least, at_most=most,
            )
        )  # fmt: skip
    batches = max(read["batches"], math.ceil(options.top_candidates / PROFILE_BATCH))
    budget = 1 + read["pages"] + math.ceil(read["audience"] * per_follower) + batches
    return sampling.Evidence(
        audience=audience,
        sampled=counted,
        share=read["share"],
        candidates=tuple(candidates),
        results=options.results,
        top_candidates=options.top_candidates,
        calls_per_follower=per_follower,
        spent=read["spent"],
        budget=budget,
    )


def _confidence(evidence: sampling.Evidence, analysis: str, round_: int) -> float:
    rng = random.Random(f"{analysis}-{round_}-final")
    answer = sampling.ranked(evidence, sampling.estimates(evidence))
    return sampling.confidence(answer, sampling.membership(evidence, rng))


def _finish(
    deps: Deps,
    message: Decide,
    doc: dict[str, Any],
    read: dict[str, Any],
    evidence: sampling.Evidence,
    profiles: list[AccountProfile | None],
    decision: sampling.Decision,
) -> None:
    """The answer of the evidence, said to be an estimate, with what it read."""
    analysis = message.analysis
    overlaps = sampling.estimates(evidence)
    by_id = {p.id: p for p in profiles if p is not None}
    rows = []
    for i in sampling.ranked(evidence, overlaps):
        c = evidence.candidates[i]
        p = by_id[c.id]
        similar = Similar(
            p.id, p.handle, p.display_name, p.followers_count, round(overlaps[i]),
            sampling.score(overlaps[i], evidence.audience, c.followers_count), p.avatar,
        )  # fmt: skip
        rows.append({**rank.similar_row(similar), "verified": c.overlap is not None})
    popular = sorted(range(len(overlaps)), key=lambda i: (-overlaps[i], evidence.candidates[i].id))
    cost = _cost(deps, doc, message)
    now = deps.clock.now()
    result = {
        "id": analysis,
        "account": doc["account"],
        "status": "done",
        "mode": "fast",
        "estimate": True,
        "confidence": round(decision.confidence, 4),
        "followers_analyzed": evidence.sampled,
        "followers_reused": 0,  # fast mode reads its sample itself (AnalysisOptions.reuse)
        "followers_in_scope": read["audience"],
        "coverage": round(read["counted"] / read["reached"], 6) if read["reached"] else 1.0,
        "skipped": read["skipped"],
        "similar": rows,
        "popular": [
            {
                "handle": by_id[evidence.candidates[i].id].handle,
                "id": evidence.candidates[i].id,
                "overlap": round(overlaps[i]),
            }
            for i in popular[: evidence.top_candidates]
            if overlaps[i] > 0
        ],
        "fast": {
            "followers_sampled": evidence.sampled,
            "sample_share": round(evidence.sampled / max(read["audience"], 1), 6),
            "candidates": len(evidence.candidates),
            "candidates_verified": sum(c.overlap is not None for c in evidence.candidates),
            "candidates_bounded": sum(c.at_most is not None for c in evidence.candidates),
            "rounds": message.round,
            "stopped": decision.reason,
            "upstream_calls_exact": evidence.budget,
        },
        "cost": cost,  # carried: result.json holds all but the record's own write
        "created_at": rfc3339(doc["created_at"]),
        "finished_at": rfc3339(now),
    }
    rank.record_result(deps, doc, result, now)


def _cost(deps: Deps, doc: dict[str, Any], message: Decide) -> Meter:
    """What every step spent, as their records carried it."""
    analysis = message.analysis
    followers = deps.store.get(names.followers_done_doc(analysis)) or {}
    records = (
        deps.store.list(names.groups_collection(analysis))
        + deps.store.list(names.rounds_collection(analysis))
        + deps.store.list(names.verified_collection(analysis))
    )
    return Meter.total(
        [message.cost, doc.get("cost_submit"), followers.get("cost")]
        + [record["cost"] for record in records]
    )


def _ended(deps: Deps, analysis: str) -> bool:
    doc = deps.store.get(names.analysis_doc(analysis))
    return doc is None or doc["status"] in ENDED
