"""Paging through a cursor-paginated list: when to ask again and when to stop.

The state is plain data that rides in a task payload. It stops on the upstream's last page
(no cursor), at a cap, and on a cursor it has already seen (a loop upstream), so no chain can
run forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class PageState:
    cursor: str | None = None
    pages: int = 0
    items: int = 0
    seen: tuple[str, ...] = ()  # short digests of the cursors already followed

    def to_dict(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "pages": self.pages,
            "items": self.items,
            "seen": list(self.seen),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PageState:
        return cls(
            raw.get("cursor"), raw.get("pages", 0), raw.get("items", 0), tuple(raw.get("seen", ()))
        )


@dataclass(frozen=True)
class Advance:
    """What one page changes: the next state, how many of its items to keep, and why it ends."""

    state: PageState
    keep: int
    done: bool
    stop_reason: str | None = None  # "end", "cap", "repeated_cursor"


def page_size(state: PageState, cap: int, limit: int = 100) -> int:
    """The `limit` to ask for so as not to fetch past the cap."""
    return max(1, min(limit, cap - state.items))


def advance(state: PageState, received: int, next_cursor: str | None, cap: int) -> Advance:
    """Account for a page of `received` items; never keeps more than `cap` in all."""
    keep = max(0, min(received, cap - state.items))
    items = state.items + keep
    moved = replace(state, pages=state.pages + 1, items=items, cursor=next_cursor)
    if items >= cap:
        return Advance(replace(moved, cursor=None), keep, True, "cap")
    if not next_cursor:
        return Advance(moved, keep, True, "end")
    digest = _digest(next_cursor)
    if digest in state.seen or next_cursor == state.cursor:
        return Advance(replace(moved, cursor=None), keep, True, "repeated_cursor")
    return Advance(replace(moved, seen=(*state.seen, digest)), keep, False)


def _digest(cursor: str) -> str:
    return hashlib.blake2b(cursor.encode(), digest_size=6).hexdigest()
