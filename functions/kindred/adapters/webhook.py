"""Telling a client its analysis is done: a POST to the callback URL it gave.

The URL came from a request, so its host is checked again right before the call (it may
resolve elsewhere now), and the call goes to an address that was checked: the name is
resolved once, every address it gave is checked (`core.netguard`), and the connection is
made to the first of them, with the original name in the Host header, in TLS's SNI and in
the certificate check. Letting the HTTP client resolve the name a second time would let a
resolver answer a public address to the check and 127.0.0.1 to the connection (DNS
rebinding). Redirects are not followed: a public host cannot bounce the service elsewhere.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3

from kindred.core.errors import InvalidInput
from kindred.core.netguard import check_public_url

log = logging.getLogger("kindred")

Resolve = Callable[[str], Iterable[str]]
Guard = Callable[[str, Resolve], str]  # netguard.check_public_url's shape: url, resolve -> host


def resolve(host: str) -> list[str]:
    """Every address the host resolves to (OSError if none)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


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


def checked_address(url: str, resolve: Resolve, guard: Guard = check_public_url) -> tuple[str, str]:
    """The URL's host and the address to connect to: resolved once, every answer checked."""
    answers: dict[str, list[str]] = {}

    def once(name: str) -> list[str]:
        answers[name] = list(resolve(name))  # the only lookup: what is checked is what is used
        return answers[name]

    host = guard(url, once)
    if not answers.get(host):
        raise InvalidInput(f"callback_url host {host!r} was not resolved by its check")
    return host, answers[host][0]


def post_pinned(url: str, host: str, address: str, body: dict[str, Any], timeout: float) -> int:
    """POST body as JSON to url, connecting to address only; the answer's status."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    named = f"[{host}]" if _is_ipv6(host) else host
    headers = {
        "Host": named if parts.port is None else f"{named}:{parts.port}",
        "Content-Type": "application/json",
        "User-Agent": "kindred-callback",
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with _pool(parts.scheme, address, port, host, timeout) as pool:
        response = pool.urlopen(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,  # the status is all we need: a huge answer is never read
            assert_same_host=False,
        )
        response.release_conn()
        return int(response.status)


def _pool(
    scheme: str, address: str, port: int, host: str, timeout: float
) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the pinned address; for https, TLS checks the host's name."""
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme != "https":
        return urllib3.HTTPConnectionPool(address, port, timeout=limits, maxsize=1)
    return urllib3.HTTPSConnectionPool(
        address,
        port,
        timeout=limits,
        maxsize=1,
        cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
        server_hostname=host,  # SNI: the name, not the address
        assert_hostname=host,  # the certificate must be the name's
    )


def _is_ipv6(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False
