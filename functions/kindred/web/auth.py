"""Who may submit: a bearer API key, compared in constant time with the configured ones."""

from __future__ import annotations

import hashlib
import hmac

import flask

from kindred.core.errors import Unauthorized


def client_of(request: flask.Request, keys: tuple[str, ...]) -> str:
    """The caller's client id (a digest of its key); raises Unauthorized."""
    if not keys:
        raise Unauthorized("submissions are closed: no API key is configured (KINDRED_API_KEYS)")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("send your API key as `Authorization: Bearer <key>`")
    matched = False
    for key in keys:  # every key is compared, so timing says nothing about which matched
        matched |= hmac.compare_digest(presented.encode(), key.encode())
    if not matched:
        raise Unauthorized("that API key is not valid")
    return hashlib.sha256(presented.encode()).hexdigest()[:16]
