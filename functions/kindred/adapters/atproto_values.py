"""The shapes Bluesky documents for what its AppView answers, checked once at the adapter.

Each parser takes an untrusted JSON value and returns a value kindred can trust, or None when
the value is not of the documented shape (the caller decides what a None costs: an entry
dropped, a profile refused). Nothing past the adapter checks these again.

- DIDs (atproto.com/specs/did): `did:plc:` + 24 base32 characters (`[a-z2-7]`), `did:web:` +
  a hostname (no path; `localhost%3A<port>` for development), any other method by the general
  grammar `did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]`, at most 2,048 characters in all. The
  local graph server's DIDs (`infra/kindred_infra/graph_server/identity.py`) are `did:plc:`
  DIDs of this shape. None of the allowed characters is a tab or a newline, so no DID can
  break the tally's `key<TAB>count` lines.
- Handles (atproto.com/specs/handle): dot-separated DNS labels, the last not starting with a
  digit, at most 253 characters; lowercased, as handles are case-insensitive.
- Counts: a JSON integer from 0 to MAX_COUNT (not a boolean, a float, a string or a bigger
  number such as 10^30).
"""

from __future__ import annotations

import re
from typing import Any

MAX_DID = 2048
MAX_HANDLE = 253
MAX_COUNT = 10**10  # followers or follows of one account: above any real network's
MAX_DISPLAY_NAME = 640  # Bluesky's lexicon bound on displayName, in bytes; here, characters
MAX_URL = 2048
INVALID_HANDLE = "handle.invalid"  # what Bluesky itself shows for a handle that does not verify

_PLC = re.compile(r"did:plc:[a-z2-7]{24}")
_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_HOSTNAME = rf"({_LABEL}\.)+[a-zA-Z]([a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?"
_WEB = re.compile(rf"did:web:({_HOSTNAME}|localhost%3A[0-9]{{1,5}})")
_GENERAL = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")
_HANDLE = re.compile(_HOSTNAME)


def parse_did(value: Any) -> str | None:
    """The DID, when `value` is one in the shape its method documents; else None."""
    if not isinstance(value, str) or len(value) > MAX_DID:
        return None
    if value.startswith("did:plc:"):
        pattern = _PLC
    elif value.startswith("did:web:"):
        if len(value) > len("did:web:") + MAX_HANDLE:
            return None
        pattern = _WEB
    else:
        pattern = _GENERAL
    return value if pattern.fullmatch(value) else None


def parse_handle(value: Any) -> str | None:
    """The handle in lower case, when `value` follows the handle grammar; else None."""
    if not isinstance(value, str) or len(value) > MAX_HANDLE or not _HANDLE.fullmatch(value):
        return None
    return value.lower()


def parse_count(value: Any) -> int | None:
    """A count, when `value` is a JSON integer in 0..MAX_COUNT; else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return None
    return value


def parse_text(value: Any, limit: int = MAX_DISPLAY_NAME) -> str:
    """A display string: a string cut to `limit` characters, anything else empty."""
    return value[:limit] if isinstance(value, str) else ""


def parse_url(value: Any) -> str | None:
    """An http(s) URL of at most MAX_URL characters without control characters; else None."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    if not value.startswith(("https://", "http://")) or not value.isprintable():
        return None
    return value
