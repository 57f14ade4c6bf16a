"""Opaque page cursors: an offset, sealed to the list it belongs to.

Clients must treat cursors as opaque (Bluesky's are too), so the server is free to use a plain
offset: the graph never changes while it runs. The seal (a short hash over the binding and the
offset) makes a cursor from another actor, method or dataset, or a hand-edited one, a clear 400
instead of a silently wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

_SEAL_BYTES = 6
_TOKEN = re.compile(r"(0|[1-9][0-9]{0,11})\.([0-9a-f]{12})")


class BadCursor(ValueError):
    """The cursor was not made by this server for this list."""


def encode_cursor(binding: str, offset: int) -> str:
    """The cursor for the page starting at offset of the list named by binding."""
    token = f"{offset}.{_seal(binding, offset)}"
    return base64.urlsafe_b64encode(token.encode()).decode("ascii").rstrip("=")


def decode_cursor(binding: str, cursor: str) -> int:
    """The offset inside cursor; raises BadCursor unless it was made for binding."""
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError) as exc:
        raise BadCursor("Malformed cursor") from exc
    match = _TOKEN.fullmatch(token)
    if match is None or match.group(2) != _seal(binding, int(match.group(1))):
        raise BadCursor("Malformed cursor")
    return int(match.group(1))


def _seal(binding: str, offset: int) -> str:
    data = f"{binding}|{offset}".encode()
    return hashlib.blake2b(data, digest_size=_SEAL_BYTES, person=b"kindred-cursor").hexdigest()
