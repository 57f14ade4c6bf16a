"""Only the queue may run a pipeline step: each request must carry its signed token.

Cloud Tasks adds a Google OIDC token for the configured service account, with the handler's
URL as audience; the local emulator adds the same claims signed with the stack's key.
"""

from __future__ import annotations

import time

import flask

from kindred.config import Settings
from kindred.core.errors import Unauthorized
from kindred.core.task_tokens import BadToken, check_claims, verify_local

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")


def verify_task_request(request: flask.Request, settings: Settings) -> None:
    """Raises Unauthorized unless the request carries a valid token from the queue."""
    if not settings.service_account:
        return  # no identity configured: only in-process tests run handlers this way
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("task handlers answer only Cloud Tasks: no bearer token")
    try:
        if settings.tasks_token_key:
            verify_local(
                settings.tasks_token_key.encode(),
                token,
                settings.tasks_url,
                settings.service_account,
                time.time(),
            )
        else:
            _verify_google(token, settings)
    except BadToken as error:
        raise Unauthorized(f"task token refused: {error}") from error


def _verify_google(token: str, settings: Settings) -> None:
    from google.auth import exceptions as google_exceptions
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    try:
        claims = id_token.verify_token(
            token,
            google_requests.Request(),
            audience=settings.tasks_url,
            certs_url=settings.google_certs_url,
        )
    except (ValueError, google_exceptions.GoogleAuthError) as error:
        raise BadToken(str(error)) from error
    issuer = claims.get("iss") if claims.get("iss") in GOOGLE_ISSUERS else GOOGLE_ISSUERS[0]
    check_claims(claims, settings.tasks_url, settings.service_account, time.time(), issuer)
