"""CIDv1 of a blob's bytes, as atproto names blobs: raw codec, sha2-256, base32 lower case.

`b` + base32(varint(1) + varint(0x55) + varint(0x12) + varint(32) + sha256(bytes)), RFC 4648
without padding. The local graph server has its own copy (`kindred_infra.graph_server.cid`,
which the functions cannot import); a unit test holds the two equal.
"""

from __future__ import annotations

import base64
import hashlib
import re

RAW, SHA2_256 = 0x55, 0x12
_PREFIX = bytes([1, RAW, SHA2_256, 32])  # each varint is one byte: all are under 0x80
BLOB_CID = re.compile(r"bafkrei[a-z2-7]{52}")  # a raw sha2-256 CIDv1: 59 characters


def blob_cid(data: bytes) -> str:
    """The CID that names these bytes."""
    binary = _PREFIX + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(binary).decode("ascii").rstrip("=").lower()


def is_blob_cid(text: str) -> bool:
    return BLOB_CID.fullmatch(text) is not None
