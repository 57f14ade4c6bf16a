"""Telling a client its analysis is done: a POST to the callback URL it gave.

The URL came from a request, so its host is checked again right before the call (it may
resolve elsewhere now) and redirects are not followed: a public host cannot bounce the
service to a private one.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import requests

from kindred.core.errors import InvalidInput
from kindred.core.netguard import check_public_url

log = logging.getLogger("kindred")


def resolve(host: str) -> list[str]:
    """Every address the host resolves to (OSError if none)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def notify(url: str, body: dict[str, Any], timeout: float = 10.0) -> bool:
    """POST body to url; False (logged) when it is refused or fails: a lost notice is no failure."""
    try:
        check_public_url(url, resolve)
        response = requests.post(url, json=body, timeout=timeout, allow_redirects=False)
    except (InvalidInput, requests.RequestException) as error:
        log.warning("callback %s not sent: %s", url[:200], error)
        return False
    return 200 <= response.status_code < 300
