"""Fast mode's share of the crawl (services.fast): the follower pages are kept instead of
starting a group each, the first round of the sample starts once they are all read, and the
end of each chain asks whether its round is over (fan-in by `count()`, as the exact mode's).

A round's record (`names.round_doc`) is written once the round is launched whole; it says
how many groups and verified candidates the analysis has once the round is over."""

from __future__ import annotations

from collections.abc import Sequence

from kindred.core import names, sampling
from kindred.core.messages import Estimate, PageFollowers, SampleFollowers
from kindred.services.deps import Deps
from kindred.services.handoff import send


def keep_page(deps: Deps, analysis: str, page: int, followers: Sequence[str]) -> None:
    """One page of the target's followers, for the sample's rounds and the verifications."""
    deps.blobs.write(names.audience_blob(analysis, page), "\n".join(followers).encode())


def start(deps: Deps, message: PageFollowers, pages: int, audience: int) -> None:
    """The first round, once the `pages` of the `audience` followers in scope are kept."""
    first = SampleFollowers(
        analysis=message.analysis,
        provider=message.provider,
        options=message.options,
        round=1,
        low=0,
        high=sampling.first_share(audience),
        pages=pages,
        group=0,
        verified=0,
    )
    send(deps, names.sample_task(message.analysis, 1, 0), first)


def latest(deps: Deps, analysis: str) -> dict[str, object] | None:
    """The record of the last round launched whole, if any."""
    found = deps.store.query(
        names.rounds_collection(analysis), order_by=[("round", "descending")], limit=1
    )
    return found[0][1] if found else None


def maybe_estimate(deps: Deps, analysis: str) -> bool:
    """Estimate once the last round launched is over; safe to call from any number of ends."""
    last = latest(deps, analysis)
    if last is None:
        return False
    groups, verified, round_ = (int(str(last[key])) for key in ("groups", "verified", "round"))
    if deps.store.count(names.groups_collection(analysis)) < groups:
        return False
    if deps.store.count(names.verified_collection(analysis)) < verified:
        return False
    estimate = Estimate(analysis=analysis, round=round_)
    return send(deps, names.estimate_task(analysis, round_), estimate)


def force(deps: Deps, analysis: str, attempt: int) -> None:
    """The sweeper's: estimate the last round recorded and finish with what there is."""
    last = latest(deps, analysis)
    round_ = int(str(last["round"])) if last else 1
    forced = Estimate(analysis=analysis, round=round_, final=True)
    send(deps, names.estimate_task(analysis, round_, attempt), forced)
