"""Telling a client its analysis is done: a POST to the callback URL it gave.

The URL came from a request, so its host is checked again right before the call (it may
resolve elsewhere now), and the call goes to the address that was checked (`pinned`: one
lookup, every address checked by `core.netguard`, Host, SNI and the certificate check kept
to the name). Redirects are not followed: a public host cannot bounce the service elsewhere.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import urllib3

from kindred.adapters.pinned import (
    Guard,
    Resolve,
    checked_address,
    host_header,
    pool,
    resolve,
    target,
)
from kindred.core.errors import InvalidInput
from kindred.core.netguard import check_public_url

log = logging.getLogger("kindred")

__all__ = ["Guard", "Resolve", "notify", "resolve"]


def notify(
    url: str,
    body: dict[str, Any],
    resolve: Resolve = resolve,
    timeout: float = 10.0,
    guard: Guard = check_public_url,
) -> bool:
    """POST body to url; False (logged) when it is refused or fails: a lost notice is no failure.

    `guard` checks the URL and the addresses its host resolves to; tests that deliver to a
    loopback receiver pass one that allows it. Production uses netguard's.
    """
    try:
        host, address = checked_address(url, resolve, guard)
        status = post_pinned(url, host, address, body, timeout)
    except (InvalidInput, urllib3.exceptions.HTTPError, OSError) as error:
        log.warning("callback %s not sent: %s", url[:200], error)
        return False
    return 200 <= status < 300


def post_pinned(url: str, host: str, address: str, body: dict[str, Any], timeout: float) -> int:
    """POST body as JSON to url, connecting to address only; the answer's status."""
    headers = {
        "Host": host_header(url, host),
        "Content-Type": "application/json",
        "User-Agent": "kindred-callback",
    }
    with pool(url, address, host, timeout) as connections:
        response = connections.urlopen(
            "POST",
            target(url),
            body=json.dumps(body).encode(),
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,  # the status is all we need: a huge answer is never read
            assert_same_host=False,
        )
        response.release_conn()
        return int(response.status)
