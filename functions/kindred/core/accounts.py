"""Accounts as an upstream describes them: plain values shared by the core and the ports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Account:
    """An account as the upstream names it: `id` is stable (a DID), `handle` may change."""

    id: str
    handle: str


@dataclass(frozen=True)
class AccountProfile:
    id: str
    handle: str
    display_name: str
    followers_count: int
    follows_count: int
    avatar: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list, as checked at the adapter.

    `dropped` counts, by reason, the entries the adapter did not pass on (an id not of the
    provider's documented shape, entries past the `limit` asked for): the caller records them.
    """

    accounts: tuple[Account, ...]
    cursor: str | None
    dropped: Mapping[str, int] = field(default_factory=dict)
