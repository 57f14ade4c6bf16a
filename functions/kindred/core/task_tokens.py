"""Signed tokens that prove a request to a task handler came from the queue.

In the cloud, Cloud Tasks adds a Google-signed OIDC token (RS256) for the configured service
account and audience. Locally, the Cloud Tasks emulator adds the same claims signed with a
key that only the stack knows (HS256, `.kindred/tasks_key`). Handlers check the same claims
either way: audience, issuer, email, expiry. Pure: `now` is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

LOCAL_ISSUER = "https://kindred-local-tasks"
LIFETIME_SECONDS = 3600
LEEWAY_SECONDS = 60


class BadToken(ValueError):
    """The token is missing, forged, expired or for someone else; the message says which."""


@dataclass(frozen=True)
class Claims:
    email: str
    audience: str
    issued_at: float
    expires_at: float


def sign_local(key: bytes, audience: str, email: str, now: float) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"iss": LOCAL_ISSUER, "aud": audience, "email": email, "email_verified": True,
              "iat": int(now), "exp": int(now) + LIFETIME_SECONDS}  # fmt: skip
    signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
    return f"{signing_input}.{_b64(_mac(key, signing_input))}"


def verify_local(key: bytes, token: str, audience: str, email: str, now: float) -> Claims:
    """The claims of a token signed with `key` for this audience and email; raises BadToken."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(claims_b64))
        signature = _unb64(signature_b64)
    except (ValueError, TypeError) as error:
        raise BadToken(f"not a JWT: {error}") from error
    if header.get("alg") != "HS256":
        raise BadToken(f"algorithm {header.get('alg')!r} is not the local one")
    if not hmac.compare_digest(signature, _mac(key, f"{header_b64}.{claims_b64}")):
        raise BadToken("the signature does not match")
    return check_claims(claims, audience, email, now, LOCAL_ISSUER)


def check_claims(claims: dict, audience: str, email: str, now: float, issuer: str) -> Claims:
    """The checks a Google OIDC token gets too, once its signature is verified."""
    if claims.get("iss") != issuer:
        raise BadToken(f"issuer {claims.get('iss')!r} is not {issuer!r}")
    if claims.get("aud") != audience:
        raise BadToken(f"audience {claims.get('aud')!r} is not {audience!r}")
    if claims.get("email") != email or not claims.get("email_verified", False):
        raise BadToken(f"signed for {claims.get('email')!r}, not {email!r}")
    expires, issued = float(claims.get("exp", 0)), float(claims.get("iat", 0))
    if now > expires + LEEWAY_SECONDS:
        raise BadToken("the token has expired")
    if issued > now + LEEWAY_SECONDS:
        raise BadToken("the token is issued in the future")
    return Claims(claims["email"], claims["aud"], issued, expires)


def _mac(key: bytes, signing_input: str) -> bytes:
    return hmac.new(key, signing_input.encode(), hashlib.sha256).digest()


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
