"""Only the queue may run a pipeline step: each request must carry its signed token, and
only a body that kindred enqueued: each carries its enqueuer's signature (`verify_task_body`).

Cloud Tasks adds a Google OIDC token (RS256) for the configured service account, with the
handler's URL as audience. Locally, the Cloud Tasks emulator signs the same claims with the
stack's key and serves its certificate where `KINDRED_GOOGLE_CERTS_URL` points, so one check
runs in both: google-auth verifies the signature against the certificates at that URL (and
the audience, iat and exp), then `check_claims` checks issuer, audience, email and expiry.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import time
from collections.abc import Mapping
from typing import Any

import flask

from kindred.config import Settings
from kindred.core import task_signature
from kindred.core.errors import Unauthorized

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
LEEWAY_SECONDS = 60
MAX_LIFETIME_SECONDS = 3600  # Google's OIDC tokens live an hour; the local emulator's 300 s


class BadToken(ValueError):
    """The token is missing, forged, expired or for someone else; the message says which."""


def verify_task_request(request: flask.Request, settings: Settings) -> None:
    """Raises Unauthorized unless the request carries a valid token from the queue."""
    if not settings.service_account:
        return  # no identity configured: only in-process tests run handlers this way
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("task handlers answer only Cloud Tasks: no bearer token")
    try:
        parse_token(token)  # its shape first: google-auth is handed only well-formed tokens
        claims = _verified(token, settings)
        check_claims(claims, settings.tasks_url, settings.service_account, time.time())
    except BadToken as error:
        raise Unauthorized(f"task token refused: {error}") from error


def verify_task_body(request: flask.Request, settings: Settings) -> None:
    """Raises Unauthorized unless the body is signed for its step and task name with our key.

    A token binds only audience and time, so a replayed one could carry any body: the body
    key is what ties a body to the code that enqueued it (decision 0005).
    """
    key = settings.tasks_body_key
    if not key:
        if settings.service_account:  # tokens are checked, so bodies must be: fail closed
            raise Unauthorized("task bodies cannot be checked: no KINDRED_TASKS_BODY_KEY is set")
        return  # neither configured: only in-process tests run handlers this way
    given = request.headers.get(task_signature.HEADER, "")
    if not given:
        raise Unauthorized(f"the task body is not signed (no {task_signature.HEADER} header)")
    step, task = request.path.strip("/"), request.headers.get("X-CloudTasks-TaskName", "")
    body = request.get_data()
    if not task_signature.matches(key, step, task, body, given):
        raise Unauthorized(
            f"the body's signature does not match step {step[:40]!r}, task {task[:100]!r} "
            f"and its {len(body)} bytes"
        )


def check_claims(claims: Mapping[str, Any], audience: str, email: str, now: float) -> None:
    """The checks of a Google OIDC token's claims, once its signature is verified."""
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise BadToken(f"issuer {claims.get('iss')!r} is not {GOOGLE_ISSUERS[0]!r}")
    if claims.get("aud") != audience:
        raise BadToken(f"audience {claims.get('aud')!r} is not {audience!r}")
    if claims.get("email") != email:
        raise BadToken(f"signed for {claims.get('email')!r}, not {email!r}")
    if claims.get("email_verified") is not True:
        raise BadToken(f"the email {email!r} is not verified")
    expires, issued = _instant(claims, "exp"), _instant(claims, "iat")
    if now > expires + LEEWAY_SECONDS:
        raise BadToken("the token has expired")
    if issued > now + LEEWAY_SECONDS:
        raise BadToken("the token is issued in the future")
    if expires - issued > MAX_LIFETIME_SECONDS:
        raise BadToken(f"the token lives {expires - issued:.0f} s, over {MAX_LIFETIME_SECONDS} s")


def parse_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a JWT whose shape is checked; BadToken for anything else.

    Total: whatever the bytes, the answer is the two objects or BadToken with the reason.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise BadToken(f"a token has 3 parts separated by dots, this one has {len(parts)}")
    header, claims = _segment(parts[0], "header"), _segment(parts[1], "claims")
    if header.get("alg") != "RS256":
        raise BadToken(f"the algorithm {str(header.get('alg'))[:40]!r} is not 'RS256'")
    if not isinstance(header.get("kid", ""), str):
        raise BadToken("the key id (kid) is not a string")
    _instant(claims, "exp"), _instant(claims, "iat")
    return header, claims


def _segment(part: str, name: str) -> dict[str, Any]:
    """One base64url JSON segment of a token, which must be an object."""
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw, parse_constant=_no_constant)
    except (binascii.Error, ValueError, RecursionError) as error:
        raise BadToken(f"the {name} is not base64url JSON ({str(error)[:80]})") from error
    if not isinstance(value, dict):
        raise BadToken(f"the {name} is a JSON {type(value).__name__}, not an object")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _instant(claims: Mapping[str, Any], name: str) -> float:
    """A time claim as seconds since the epoch: a finite number, never a string or a bool."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadToken(f"{name} is {str(value)[:40]!r}, not a number of seconds")
    if abs(value) > 1e11 or not math.isfinite(value):  # in that order: 10**400 overflows
        raise BadToken(f"{name} is {value!r}, not a time")
    return float(value)


def _verified(token: str, settings: Settings) -> Mapping[str, Any]:
    """The claims of a token whose signature a certificate at the certs URL verifies."""
    from google.auth import jwt

    for fresh in (False, True):  # a key id not among the cached certificates: fetch them anew
        try:
            return dict(
                jwt.decode(
                    token,
                    certs=CERTS.get(settings.google_certs_url, time.monotonic(), fresh),
                    audience=settings.tasks_url,
                    clock_skew_in_seconds=LEEWAY_SECONDS,
                )
            )
        except (ValueError, TypeError, KeyError, OverflowError) as error:
            if fresh or "not found" not in str(error):
                raise BadToken(str(error)) from error
    raise AssertionError("unreachable")


class CertificateCache:
    """The signing certificates, fetched at most every `ttl` seconds per process.

    google-auth's own `verify_token` fetches them at every call: one HTTP round trip per task.
    Google rotates its keys over days and publishes the new one before it signs with it.
    """

    def __init__(self, ttl: float = 300.0):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.fetched: dict[str, tuple[float, Mapping[str, str]]] = {}

    def get(self, url: str, now: float, fresh: bool = False) -> Mapping[str, str]:
        with self.lock:
            cached = self.fetched.get(url)
            if cached and not fresh and now - cached[0] < self.ttl:
                return cached[1]
            certs = _fetch(url)
            self.fetched[url] = (now, certs)
            return certs


def _fetch(url: str) -> Mapping[str, str]:
    from google.auth import exceptions as google_exceptions
    from google.auth.transport import requests as google_requests

    request = google_requests.Request()
    try:
        response = request(url, method="GET")
    except google_exceptions.TransportError as error:
        raise BadToken(f"the certificates at {url} cannot be fetched ({error})") from error
    finally:
        request.session.close()  # at once: no open socket left for the garbage collector
    if response.status != 200:
        raise BadToken(f"the certificates at {url} answered {response.status}")
    try:
        certs = json.loads(response.data)
    except ValueError as error:
        raise BadToken(f"the certificates at {url} are not JSON") from error
    if not isinstance(certs, dict):
        raise BadToken(f"the certificates at {url} are not an object of PEM certificates")
    return certs


CERTS = CertificateCache()
