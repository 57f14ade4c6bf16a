"""Accounts as an upstream describes them: plain values shared by the core and the ports."""

from __future__ import annotations

from dataclasses import dataclass


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
    accounts: tuple[Account, ...]
    cursor: str | None
