"""Which hosts a request may make kindred reach: public addresses only.

A URL that comes from a request (a callback, later an account's home server) must never make
the service reach loopback, private, link-local (cloud metadata at 169.254.169.254 among them),
multicast or reserved addresses. The decision is pure: the resolver is passed in, so tests
never look anything up, and callers check again right before they connect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from kindred.core.errors import InvalidInput

METADATA_HOSTS = {"metadata", "metadata.google.internal", "metadata.goog"}


def forbidden_reason(address: str) -> str | None:
    """Why connecting to this IP address is not allowed, or None when it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for label, flagged in (
        ("loopback", ip.is_loopback),
        ("link-local (cloud metadata)", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("not globally routable", not ip.is_global),
    ):
        if flagged:
            return f"{address} is {label}"
    return None


def check_public_url(
    url: str, resolve: Callable[[str], Iterable[str]], field: str = "callback_url"
) -> str:
    """The URL's host if every address it resolves to is public; raises InvalidInput."""
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidInput(f"{field} must be a URL of at most 2048 characters", field)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{field} must be an http(s) URL with a host, not {url[:80]!r}", field)
    if parts.username or parts.password:
        raise InvalidInput(f"{field} must not carry credentials", field)
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise InvalidInput(f"{field} host {host!r} is not allowed", field)
    try:
        addresses = list(resolve(host))
    except OSError as error:
        raise InvalidInput(f"{field} host {host!r} does not resolve ({error})", field) from error
    if not addresses:
        raise InvalidInput(f"{field} host {host!r} does not resolve", field)
    for address in addresses:
        reason = forbidden_reason(address)
        if reason:
            raise InvalidInput(f"{field} host {host!r} is not allowed: {reason}", field)
    return host
