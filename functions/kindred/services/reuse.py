"""Stored follows lists (core.reuse): looking a group's followers up, storing a list read in full.

Entries live in Cloud Storage under `follows/{provider}/{account}.z` (`names.follows_entry`),
one object an account, rewritten whenever a chain reads that account's list in full again:
two analyses writing one entry at once both write a true list, and the later write wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from kindred.core import names, reuse
from kindred.core.options import AnalysisOptions
from kindred.services.deps import Deps


def served(
    deps: Deps, provider: str, followers: Sequence[str], options: AnalysisOptions
) -> dict[str, tuple[str, ...]]:
    """The followers whose stored follows serve these options now, with those follows.

    One Storage read per distinct follower (in `deps.meter`), several at once; an entry that
    cannot be read as one is a miss, which the chain's read will replace.
    """
    by_name = {names.follows_entry(provider, follower): follower for follower in set(followers)}
    found = deps.blobs.read_all(sorted(by_name))
    now, cap = deps.clock.now(), options.max_follows_per_follower
    out = {}
    for name, data in found.items():
        try:
            entry = reuse.decode_entry(data)
        except ValueError:
            continue
        follows = reuse.serves(entry, cap, options.max_age, now)
        if follows is not None:
            out[by_name[name]] = follows
    return out


def remember(deps: Deps, provider: str, account: str, carried: str, stop: str, cap: int) -> None:
    """Store `account`'s follows, carried (core.reuse.carry) to the end of a read in full."""
    entry = reuse.Entry(reuse.carried_ids(carried), deps.clock.now(), stop, cap)
    deps.blobs.write(names.follows_entry(provider, account), reuse.encode_entry(entry))
