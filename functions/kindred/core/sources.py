"""Where an analysis reads its graph: a provider, and for Mastodon the account's home server.

Bluesky's AppView answers for every account, so its provider names one source. A Mastodon
account is served by its own home server, whose ids are its own and whose limit is its own:
there the source is `mastodon:{host}`, and each source has its queue and its budget.
"""

from __future__ import annotations

import re

MASTODON = "mastodon"
_PREFIX = f"{MASTODON}:"
_USERNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?")
_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def mastodon_source(host: str) -> str:
    """The source of a Mastodon home server's accounts."""
    return _PREFIX + host


def mastodon_host(source: str) -> str | None:
    """The home server of a Mastodon source, or None for any other provider."""
    return source[len(_PREFIX) :] or None if source.startswith(_PREFIX) else None


def split_acct(acct: str) -> tuple[str, str] | None:
    """(username, domain) of `user@domain` or `@user@domain`, the domain lower-cased and
    without a final dot; None for anything else."""
    user, at, domain = acct.removeprefix("@").partition("@")
    domain = domain.rstrip(".").lower()
    if not at or not _USERNAME.fullmatch(user) or len(domain) > 253:
        return None
    return (user, domain) if _DOMAIN.fullmatch(domain) else None
