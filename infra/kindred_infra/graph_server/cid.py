"""CIDv1 strings, as atproto names blobs: raw codec, sha2-256 multihash, base32 lower-case.

`b` + base32(varint(1) + varint(codec) + varint(0x12) + varint(32) + digest), RFC 4648 without
padding, lower case. For a raw blob that is `bafkrei...`, 59 characters; anyone can check a
downloaded file against its name with hashlib alone. A dozen lines, so written here rather than
pulled in as a dependency (docs/decisions/0006-local-media.md).
"""

from __future__ import annotations

import base64
import hashlib
import re

RAW = 0x55  # multicodec: raw bytes (blobs)
DAG_CBOR = 0x71  # multicodec: DAG-CBOR (records)
SHA2_256 = 0x12
_CID_SYNTAX = re.compile(r"b[a-z2-7]{58}")  # a CIDv1 with a 32-byte sha2-256 digest


def varint(value: int) -> bytes:
    """Unsigned LEB128, the multiformats varint."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def cid_from_digest(digest: bytes, codec: int = RAW) -> str:
    """The CIDv1 string of a sha2-256 digest for the given codec."""
    if len(digest) != 32:
        raise ValueError(f"a sha2-256 digest has 32 bytes, not {len(digest)}")
    binary = varint(1) + varint(codec) + varint(SHA2_256) + varint(32) + digest
    return "b" + base64.b32encode(binary).decode("ascii").rstrip("=").lower()


def raw_cid(data: bytes) -> str:
    """The CID of a blob: raw codec over the sha2-256 of its bytes."""
    return cid_from_digest(hashlib.sha256(data).digest())


def is_cid_syntax(text: str) -> bool:
    """True when text looks like a base32 CIDv1 with a sha2-256 digest (either codec)."""
    return _CID_SYNTAX.fullmatch(text) is not None
