"""Follows lists kept for later analyses: their stored form, their age, what they can serve.

A follower's follows that a chain read in full are stored once, under the provider and the
account (`names.follows_entry`), with the time they were read. A later analysis, of any
account, whose follower has an entry younger than its `max_age` counts the entry instead of
calling the upstream. An entry serves a cap only where a read under that cap would keep the
very same accounts, so reuse never changes an answer while the graph is unchanged:

- a list read to the upstream's last page (`end`) serves any cap: its first `cap` accounts;
- a list cut at its reader's cap (`cap`) holds that many accounts and serves caps up to it.

Lists a chain stopped for any other reason (a repeated cursor, the page cap), lists with
entries the adapter dropped, and followers that failed are never stored.

Stored form: zlib (level 6) of a JSON header line (`v`, `read_at`, `stop`, `cap`, `count`)
then one account id a line, in the upstream's order. While a chain pages through one
follower, the ids read so far ride in its task payload (`carry`): base64 of the zlib of the
id lines, at most CARRY_BYTES compressed; a longer list is read and counted, not stored.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

VERSION = 1
STORED_STOPS = ("end", "cap")  # the `pagination.advance` stop reasons of a list read in full
# Compressed bytes of the ids a payload carries for one follower: about 1,400 did:plc ids,
# half the carried-tally budget (crawl.SPILL_BYTES), which counts both together.
CARRY_BYTES = 24_000


@dataclass(frozen=True)
class Entry:
    """One account's follows as a chain read them."""

    follows: tuple[str, ...]  # in the upstream's order
    read_at: float  # seconds since the epoch
    stop: str  # "end": the whole list; "cap": its first `cap` accounts
    cap: int  # the max_follows_per_follower it was read under


def encode_entry(entry: Entry) -> bytes:
    """The stored form; raises ValueError for a stop not in STORED_STOPS or a bad id."""
    if entry.stop not in STORED_STOPS:
        raise ValueError(f"a list that stopped at {entry.stop!r} is not read in full")
    header = {
        "v": VERSION,
        "read_at": entry.read_at,
        "stop": entry.stop,
        "cap": entry.cap,
        "count": len(entry.follows),
    }
    return zlib.compress(_lines([json.dumps(header, separators=(",", ":")), *entry.follows]), 6)


def decode_entry(data: bytes) -> Entry:
    """An entry from its stored form; raises ValueError for anything that is not one whole."""
    try:
        header_line, *follows = zlib.decompress(data).decode().split("\n")
        header = json.loads(header_line)
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a follows entry: {error}") from None
    if not isinstance(header, dict) or header.get("v") != VERSION:
        raise ValueError(f"not a version {VERSION} follows entry: {header_line[:80]!r}")
    read_at, stop, cap, count = (header.get(key) for key in ("read_at", "stop", "cap", "count"))
    if not isinstance(read_at, int | float) or stop not in STORED_STOPS:
        raise ValueError(f"a follows entry with a bad header: {header_line[:80]!r}")
    if not isinstance(cap, int) or count != len(follows) or not all(follows):
        raise ValueError(f"a follows entry of {len(follows)} ids whose header says {count!r}")
    if stop == "cap" and count != cap:
        raise ValueError(f"a follows entry cut at its cap of {cap} holding {count} ids")
    return Entry(tuple(follows), float(read_at), stop, cap)


def fresh(entry: Entry, max_age: float, now: float) -> bool:
    """Younger than `max_age` seconds (0: never). An entry from a clock a little ahead of
    this one counts as new."""
    return max_age > 0 and now - entry.read_at < max_age


def serves(entry: Entry, cap: int, max_age: float, now: float) -> tuple[str, ...] | None:
    """The follows a read under `cap` would keep now, or None if the entry cannot say."""
    if not fresh(entry, max_age, now):
        return None
    if entry.stop == "end" or len(entry.follows) >= cap:
        return entry.follows[:cap]
    return None


def carry(carried: str | None, ids: Iterable[str]) -> str | None:
    """The payload form of the ids carried so far and then `ids`; None once they are too many
    to carry (past CARRY_BYTES), or were not being carried (`carried` None). "" is none yet."""
    if carried is None:
        return None
    data = zlib.compress(_lines([*carried_ids(carried), *ids]), 6)
    return None if len(data) > CARRY_BYTES else base64.b64encode(data).decode("ascii")


def carried_ids(carried: str) -> tuple[str, ...]:
    """The ids of a `carry` form, in order."""
    if not carried:
        return ()
    text = zlib.decompress(base64.b64decode(carried.encode("ascii"))).decode()
    return tuple(text.split("\n")) if text else ()


def carried_bytes(carried: str | None) -> int:
    """The compressed bytes a `carry` form stands for (what it adds to a payload, less base64)."""
    return len(carried or "") * 3 // 4


def _lines(ids: list[str]) -> bytes:
    """Ids one a line; raises ValueError for one that is empty or holds a newline (it would
    forge or lose lines)."""
    text = "\n".join(ids)
    if text.count("\n") != max(0, len(ids) - 1) or not all(ids):
        raise ValueError(f"an account id that is empty or holds a newline: {_bad(ids)!r:.120}")
    return text.encode()


def _bad(ids: list[str]) -> str:
    return next(item for item in ids if not item or "\n" in item)
