"""Connections to a host that outside data named, made to the very address that was checked.

A callback URL, an account's home server: the name came from a request, so before any
connection it is resolved once, every address it gave is checked (`core.netguard`, through a
`guard`), and the connection goes to the first of them, with the original name in the Host
header, in TLS's SNI and in the certificate check. Letting an HTTP client resolve the name a
second time would let a resolver answer a public address to the check and 127.0.0.1 to the
connection (DNS rebinding). The webhook and the Mastodon adapter both connect this way.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import certifi
import urllib3

from kindred.core.errors import InvalidInput
from kindred.core.netguard import url_host

Resolve = Callable[[str], Iterable[str]]
Guard = Callable[[str, Resolve], str]  # netguard.check_public_url's shape: url, resolve -> host


def resolve(host: str) -> list[str]:
    """Every address the host resolves to (OSError if none)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def checked_address(
    url: str, resolve: Resolve, guard: Guard, field: str = "callback_url"
) -> tuple[str, str]:
    """The URL's host and the address to connect to: resolved once, every answer checked."""
    answers: dict[str, list[str]] = {}

    def once(name: str) -> list[str]:
        answers[name] = list(resolve(name))  # the only lookup: what is checked is what is used
        return answers[name]

    host = guard(url, once)
    if not answers.get(host):
        raise InvalidInput(f"{field} host {host!r} was not resolved by its check", field)
    return host, answers[host][0]


def configured(origin: str) -> Guard:
    """A guard for an origin the operator configured (the local stack's graph server, on
    loopback): it lets that origin's host through, whatever it resolves to, and nothing else."""
    allowed = url_host(origin, "origin")

    def guard(url: str, resolve: Resolve) -> str:
        host = url_host(url)
        if host != allowed:
            raise InvalidInput(f"host {host!r} is not the configured {allowed!r}")
        list(resolve(host))  # resolved once, as any other: the connection goes to this answer
        return host

    return guard


def host_header(url: str, host: str) -> str:
    """The Host header of a request to url: the name (bracketed if IPv6), and its port if any."""
    port = urlsplit(url).port
    named = f"[{host}]" if _is_ipv6(host) else host
    return named if port is None else f"{named}:{port}"


def origin(url: str) -> str:
    """The URL's scheme and authority: what a kept pool is kept for, with its checked address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def target(url: str) -> str:
    """What the request line asks for: the path and the query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def pool(url: str, address: str, host: str, timeout: float) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the pinned address; for https, TLS checks the host's name."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if parts.scheme != "https":
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


@functools.lru_cache(maxsize=64)
def kept_pool(origin: str, address: str, host: str, timeout: float) -> urllib3.HTTPConnectionPool:
    """`pool`, kept for the instance's later calls to the same checked address (keep-alive);
    an address that a later check gives differently gets a pool of its own."""
    return pool(origin, address, host, timeout)


def _is_ipv6(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False
