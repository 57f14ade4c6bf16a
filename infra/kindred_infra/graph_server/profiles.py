"""Profile views for graph accounts, shaped like Bluesky's `app.bsky.actor.defs`.

The graph only has numbers, but the UI and the clients want names, pictures and dates. Every
field is derived from a hash of (dataset, account), so it is stable across restarts and needs
no storage. Avatars are tiny SVGs served by the same server, so nothing reaches the internet.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from kindred_infra.graph_server.identity import Identity

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ben", "Chen", "Dana", "Elif", "Emil", "Farah", "Gus",
    "Hana", "Ivo", "Jun", "Kai", "Lena", "Malik", "Nia", "Omar", "Pia", "Quinn",
    "Rosa", "Sami", "Tara", "Uma", "Vik", "Wren", "Xia", "Yusuf", "Zoe", "Iris",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Baker", "Costa", "Diaz", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lund", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Silva",
    "Tanaka", "Umar", "Varga", "Weber", "Xu", "Yilmaz", "Zhou", "Novak", "Berg", "Kim", "Lopez",
)  # fmt: skip
EPOCH = datetime(2023, 2, 17, tzinfo=UTC)  # around when Bluesky opened its beta
SPREAD_SECONDS = 700 * 24 * 3600
NO_LABELS: list[Any] = []
CACHED_ACCOUNTS = 1 << 16  # hashing a DID and formatting dates costs ~13 us an account


class ProfileMaker:
    """Builds profile views for the accounts of one dataset; `base_url` hosts the avatars."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self._fields = functools.lru_cache(maxsize=CACHED_ACCOUNTS)(self._derive)

    def basic(self, account: int, base_url: str) -> dict[str, Any]:
        """The profileView used in follower and follow lists (no counts, as on Bluesky)."""
        did, handle, name, indexed, created = self._fields(account)
        return {
            "did": did,
            "handle": handle,
            "displayName": name,
            "avatar": f"{base_url}/avatar/{did}.svg",
            "indexedAt": indexed,
            "createdAt": created,
            "labels": list(NO_LABELS),
        }

    def detailed(self, account: int, followers: int, follows: int, base_url: str) -> dict[str, Any]:
        """The profileViewDetailed of getProfile and getProfiles, with the graph's degrees."""
        view = self.basic(account, base_url)
        view["description"] = self.description(account)
        view["followersCount"] = followers
        view["followsCount"] = follows
        view["postsCount"] = 0
        return {key: view[key] for key in _DETAILED_ORDER}

    def description(self, account: int) -> str:
        return f"Account {account} of the {self.identity.dataset} follow graph (local stand-in)."

    def _derive(self, account: int) -> tuple[str, str, str, str, str]:
        """The fields that depend on the account only (not on the request)."""
        dataset = self.identity.dataset
        created = created_at(dataset, account)
        return (
            self.identity.did(account),
            self.identity.handle(account),
            display_name(dataset, account),
            _iso(created + timedelta(hours=1)),
            _iso(created),
        )


_DETAILED_ORDER = (
    "did", "handle", "displayName", "avatar", "description", "followersCount", "followsCount",
    "postsCount", "indexedAt", "createdAt", "labels",
)  # fmt: skip


def display_name(dataset: str, account: int) -> str:
    digest = _digest(dataset, account)
    return f"{FIRST_NAMES[digest[0] % len(FIRST_NAMES)]} {LAST_NAMES[digest[1] % len(LAST_NAMES)]}"


def created_at(dataset: str, account: int) -> datetime:
    offset = int.from_bytes(_digest(dataset, account)[2:6], "big") % SPREAD_SECONDS
    return EPOCH + timedelta(seconds=offset)


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper() or "?"


def avatar_svg(dataset: str, account: int) -> bytes:
    """A 128 px round avatar: the initials on a colour picked from the account's hash."""
    hue = int.from_bytes(_digest(dataset, account)[6:8], "big") % 360
    text = escape(initials(display_name(dataset, account)))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">'
        f'<circle cx="64" cy="64" r="64" fill="hsl({hue},55%,42%)"/>'
        '<text x="64" y="64" dy=".35em" text-anchor="middle" fill="#fff" '
        f'font-family="Helvetica,Arial,sans-serif" font-size="52">{text}</text></svg>'
    ).encode()


def _digest(dataset: str, account: int) -> bytes:
    return hashlib.blake2b(f"profile|{dataset}|{account}".encode(), digest_size=8).digest()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
