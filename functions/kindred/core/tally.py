"""Counting how many followers follow each account, and carrying that count compactly.

A tally rides in task payloads (budget: well under 100 KB) and is stored as sorted runs in
Cloud Storage, so it has one text form: `key<TAB>count` lines sorted by key, zlib-compressed.
Sorted runs let the aggregate step merge any number of them in bounded memory. A key with a
tab or a newline would forge lines (`did:x<TAB>999999<LF>...`), so `write_run` refuses one:
no such key can reach a payload or a stored run, whatever its caller checked.
"""

from __future__ import annotations

import base64
import heapq
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import islice

Tally = Counter[str]


def encode(tally: Tally) -> bytes:
    """Compressed sorted-run bytes, at level 6 since payload bytes are budgeted; `decode`
    reverses it."""
    return write_run(sorted(tally.items()), level=6)


def decode(data: bytes) -> Tally:
    return Counter(dict(_pairs(zlib.decompress(data))))


def as_text(encoded: bytes) -> str:
    """`encode`d bytes as ASCII, for JSON task payloads.

    Base64, not the denser base85: Python's b85 codec is pure Python and cost a step more time
    than its upstream call (bench/continuation.py); base64's is C, for 7% more bytes.
    """
    return base64.b64encode(encoded).decode("ascii")


def from_text(text: str) -> bytes:
    """The `encode`d bytes that `as_text` made `text` of."""
    return base64.b64decode(text.encode("ascii"))


def decode_text(text: str) -> Tally:
    return decode(from_text(text)) if text else Counter()


def merge_sorted_runs(runs: Iterable[Iterable[tuple[str, int]]]) -> Iterator[tuple[str, int]]:
    """Sum counts key by key over runs each sorted by key; memory grows with the runs, not keys."""
    current_key: str | None = None
    current_count = 0
    for key, count in heapq.merge(*runs, key=lambda pair: pair[0]):
        if key == current_key:
            current_count += count
            continue
        if current_key is not None:
            yield current_key, current_count
        current_key, current_count = key, count
    if current_key is not None:
        yield current_key, current_count


def read_run(chunks: Iterable[bytes]) -> Iterator[tuple[str, int]]:
    """Decode an `encode`d run from its compressed chunks as they arrive (bounded memory)."""
    inflate = zlib.decompressobj()
    pending = b""
    for chunk in chunks:
        pending += inflate.decompress(chunk)
        cut = pending.rfind(b"\n")
        if cut >= 0:
            yield from _pairs(pending[:cut])
            pending = pending[cut + 1 :]
    pending += inflate.flush()
    if pending:
        yield from _pairs(pending)


def _pairs(block: bytes) -> Iterator[tuple[str, int]]:
    """`key<TAB>count` lines split in one C call per block rather than one per line."""
    if not block:
        return iter(())
    fields = block.decode().replace("\n", "\t").split("\t")
    return zip(fields[0::2], map(int, fields[1::2]), strict=True)


def write_run(pairs: Iterable[tuple[str, int]], batch: int = 4096, level: int = 1) -> bytes:
    """A sorted run (`key<TAB>count` lines, zlib) from already-sorted (key, count) pairs.

    Lines go to zlib a batch at a time (a call per pair cost more than compressing), at level 1
    for stored runs: mostly random ids, which level 6 squeezed 7% smaller in twice the time.
    """
    deflate = zlib.compressobj(level=level)
    out = []
    pairs = iter(pairs)
    separator = b""
    while lines := [f"{key}\t{count}" for key, count in islice(pairs, batch)]:
        text = "\n".join(lines)
        if text.count("\t") != len(lines) or text.count("\n") != len(lines) - 1:
            raise ValueError(f"a tally key with a tab or a newline: {_bad_key(lines)!r:.120}")
        out.append(deflate.compress(separator + text.encode()))
        separator = b"\n"
    out.append(deflate.flush())
    return b"".join(out)


def _bad_key(lines: list[str]) -> str:
    """The first key among `key<TAB>count` lines that has a tab or a newline of its own."""
    return next(line.rpartition("\t")[0] for line in lines if line.count("\t") != 1 or "\n" in line)
