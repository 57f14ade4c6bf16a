"""Each task body is signed by the code that enqueues it; the handler runs only what it signed.

The OIDC token Cloud Tasks adds binds nothing but the audience and a time: whoever holds a
genuine token (from a log, a proxy, a dump of a delivery) could post any body with it until it
expires, and every `X-CloudTasks-*` header is set by the caller. So the binding comes from
the project: an HMAC-SHA256, with a key only the functions hold, of the step, the task name
and the body's exact bytes, sent in `X-Kindred-Signature` (decision 0005).
"""

from __future__ import annotations

import hashlib
import hmac
import json

HEADER = "X-Kindred-Signature"
VERSION = "v1"


def sign(key: str, step: str, task: str, body: bytes) -> str:
    """The signature header's value for this step's task name and body."""
    mac = hmac.new(key.encode(), _signed(step, task, body), hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def matches(key: str, step: str, task: str, body: bytes, signature: str) -> bool:
    """True when signature is this body's for this step and task name (constant time)."""
    expected = sign(key, step, task, body).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def _signed(step: str, task: str, body: bytes) -> bytes:
    """What the MAC covers: step and name as a JSON array (no raw newline), then the body."""
    head = json.dumps([VERSION, step, task], ensure_ascii=True, separators=(",", ":"))
    return head.encode() + b"\n" + body
