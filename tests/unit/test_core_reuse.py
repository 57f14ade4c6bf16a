"""Stored follows lists (core.reuse): their encoding, their age, and which caps they serve."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from kindred.core import reuse
from kindred.core.reuse import Entry

DIDS = tuple(f"did:plc:{n:024d}" for n in range(250))
NOW = 1_800_000_000.0
WEEK = 7 * 86_400


@pytest.mark.parametrize(
    "entry",
    [
        Entry(DIDS, NOW - 5, "end", 5_000),
        Entry(DIDS[:60], NOW, "cap", 60),
        Entry((), 12.5, "end", 1),  # follows nobody: still a list read in full
    ],
)
def test_an_entry_reads_back_as_it_was_written(entry):
    assert reuse.decode_entry(reuse.encode_entry(entry)) == entry


def test_an_entry_is_compact_and_says_what_it_holds_in_its_first_line():
    data = reuse.encode_entry(Entry(DIDS, NOW, "end", 5_000))
    header, first, *_ = zlib.decompress(data).decode().split("\n")
    assert header == f'{{"v":1,"read_at":{NOW},"stop":"end","cap":5000,"count":250}}'
    assert first == DIDS[0]
    assert len(data) < len("\n".join(DIDS)) / 2


@pytest.mark.parametrize(
    "data",
    [
        b"not zlib",
        zlib.compress(b"not json\ndid:plc:a"),
        zlib.compress(b'{"v":2,"read_at":1,"stop":"end","cap":5,"count":0}'),
        zlib.compress(b'{"v":1,"read_at":1,"stop":"page_cap","cap":5,"count":0}'),
        zlib.compress(b'{"v":1,"read_at":"1","stop":"end","cap":5,"count":0}'),
        zlib.compress(b'{"v":1,"read_at":1,"stop":"end","cap":5,"count":3}\ndid:plc:a'),  # cut
        zlib.compress(b'{"v":1,"read_at":1,"stop":"cap","cap":5,"count":1}\ndid:plc:a'),
        zlib.compress(b'{"v":1,"read_at":1,"stop":"end","cap":5,"count":2}\ndid:plc:a\n'),
        zlib.compress(b"[1]"),
    ],
)
def test_anything_but_a_whole_entry_is_refused(data):
    with pytest.raises(ValueError):
        reuse.decode_entry(data)


@pytest.mark.parametrize("bad", [("did:plc:a\ndid:plc:forged",), ("",)])
def test_an_id_that_would_forge_or_lose_lines_is_never_written(bad):
    with pytest.raises(ValueError, match="newline"):
        reuse.encode_entry(Entry(bad, NOW, "end", 5))
    with pytest.raises(ValueError, match="newline"):
        reuse.carry("", bad)


def test_only_lists_read_in_full_are_written():
    with pytest.raises(ValueError, match="not read in full"):
        reuse.encode_entry(Entry(DIDS, NOW, "repeated_cursor", 5_000))


@pytest.mark.parametrize(
    ("age", "max_age", "fresh"),
    [
        (0, WEEK, True),
        (WEEK - 1, WEEK, True),
        (WEEK, WEEK, False),  # exactly max_age old: too old
        (WEEK + 1, WEEK, False),
        (-30, WEEK, True),  # written by a clock a little ahead
        (0, 0, False),  # max_age 0: no reuse at all
    ],
)
def test_an_entry_is_fresh_while_younger_than_max_age(age, max_age, fresh):
    entry = Entry(DIDS, NOW - age, "end", 5_000)
    assert reuse.fresh(entry, max_age, NOW) is fresh
    assert (reuse.serves(entry, 5_000, max_age, NOW) is not None) is fresh


def test_a_list_read_to_its_end_serves_any_cap_with_its_first_accounts():
    entry = Entry(DIDS, NOW, "end", 5_000)
    assert reuse.serves(entry, 5_000, WEEK, NOW) == DIDS
    assert reuse.serves(entry, 100, WEEK, NOW) == DIDS[:100]
    assert reuse.serves(entry, 100_000, WEEK, NOW) == DIDS


def test_a_list_cut_at_its_cap_serves_that_cap_and_smaller_ones_only():
    entry = Entry(DIDS[:60], NOW, "cap", 60)
    assert reuse.serves(entry, 60, WEEK, NOW) == DIDS[:60]
    assert reuse.serves(entry, 20, WEEK, NOW) == DIDS[:20]
    assert reuse.serves(entry, 61, WEEK, NOW) is None  # a read would find more


def test_ids_carried_page_by_page_come_back_in_order():
    carried = reuse.carry("", DIDS[:100])
    carried = reuse.carry(carried, DIDS[100:])
    assert carried is not None and reuse.carried_ids(carried) == DIDS
    assert reuse.carried_ids("") == () and reuse.carried_ids(reuse.carry("", []) or "x") == ()
    assert reuse.carried_bytes(carried) == len(carried) * 3 // 4


def random_did(n: int) -> str:
    """A did:plc as real ones look: 24 base32 characters of a hash."""
    digest = hashlib.blake2b(str(n).encode(), digest_size=15).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()


def test_a_list_too_long_to_carry_stops_being_carried_at_about_1400_dids():
    dids = [random_did(n) for n in range(5_000)]
    carried: str | None = ""
    held = 0
    while (more := reuse.carry(carried, dids[held : held + 100])) is not None:
        carried, held = more, held + 100
    assert 1_300 <= held < 1_600, held  # CARRY_BYTES, as the decision record says
    assert carried is not None and reuse.carried_bytes(carried) <= reuse.CARRY_BYTES
    assert reuse.carry(None, dids[:1]) is None  # once dropped, never carried again
