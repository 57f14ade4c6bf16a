"""Paging through a cursor-paginated list: when to ask again and when to stop.

The state is plain data that rides in a task payload. It stops on the upstream's last page
(no cursor), at the cap on items, on a cursor it has already seen (a loop upstream), and at a
cap on pages derived from what is known (`max_pages`), so no chain can run forever, even on
an upstream that answers empty pages with a fresh cursor each time. The digests of the
cursors seen are kept for the last SEEN_KEPT pages only, so the state stays small: a loop
longer than that is ended by the cap on pages.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

SEEN_KEPT = 32  # cursor digests carried: ~16 bytes each in a payload
PAGE_SLACK = 2  # pages beyond those a full answer each time needs, besides a quarter more


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
    stop_reason: str | None = None  # "end", "cap", "repeated_cursor", "page_cap"


def max_pages(cap: int, limit: int) -> int:
    """Pages a chain may read to collect `cap` items asked `limit` at a time.

    ceil(cap / limit) if every page came full, plus a quarter more and PAGE_SLACK for the
    short pages a real upstream answers (Bluesky leaves out taken-down accounts after
    paging): 5,000 follows by 100 may take 64 pages, never 65.
    """
    needed = math.ceil(cap / max(1, limit))
    return needed + needed // 4 + PAGE_SLACK


def page_size(state: PageState, cap: int, limit: int = 100) -> int:
    """The `limit` to ask for so as not to fetch past the cap."""
    return max(1, min(limit, cap - state.items))


def advance(
    state: PageState, received: int, next_cursor: str | None, cap: int, limit: int = 100
) -> Advance:
    """Account for a page of `received` items, asked `limit` at a time (the upstream's
    largest page); never keeps more than `cap` items nor reads past `max_pages(cap, limit)`."""
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
    if moved.pages >= max_pages(cap, limit):
        return Advance(replace(moved, cursor=None), keep, True, "page_cap")
    return Advance(replace(moved, seen=(*state.seen, digest)[-SEEN_KEPT:]), keep, False)


def _digest(cursor: str) -> str:
    return hashlib.blake2b(cursor.encode(), digest_size=6).hexdigest()
