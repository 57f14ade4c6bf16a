"""Which hosts a request may make kindred reach: public addresses only.

A URL that comes from a request (a callback, later an account's home server) must never make
the service reach loopback, private, link-local (cloud metadata at 169.254.169.254 among them),
multicast or reserved addresses. The decision is pure: the resolver is passed in, so tests
never look anything up, and callers check again right before they connect.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from kindred.core.errors import InvalidInput

METADATA_HOSTS = {"metadata", "metadata.google.internal", "metadata.goog"}
LOW32_PREFIXES = (
    ("IPv4-compatible", ipaddress.IPv6Network("::/96")),
    ("NAT64", ipaddress.IPv6Network("64:ff9b::/96")),
    ("local NAT64", ipaddress.IPv6Network("64:ff9b:1::/96")),
)
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
DNS_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


def forbidden_reason(address: str) -> str | None:
    """Why connecting to this IP address is not allowed, or None when it is public.

    An IPv6 address that carries an IPv4 one (mapped, compatible, 6to4, Teredo, NAT64, ISATAP)
    is refused when the IPv4 address inside would be.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # the socket reaches the IPv4 address itself
    reason = _flagged(ip)
    if reason:
        return f"{address} is {reason}"
    if isinstance(ip, ipaddress.IPv6Address):
        for form, inner in embedded_ipv4(ip):
            reason = _flagged(inner)
            if reason:
                return f"{address} embeds {inner} ({form}), which is {reason}"
    return None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """Every IPv4 address an IPv6 transition form carries, with the form's name."""
    value = int(ip)
    found = [(form, ipaddress.IPv4Address(value & 0xFFFFFFFF)) for form in _low32_forms(ip)]
    if ip.sixtofour:
        found.append(("6to4", ip.sixtofour))
    if ip.teredo:
        found += [("Teredo server", ip.teredo[0]), ("Teredo client", ip.teredo[1])]
    if ip in LOCAL_NAT64:  # the operator picks the prefix length: each RFC 6052 layout
        found += [("local NAT64", _rfc6052(value, length)) for length in (48, 56, 64)]
    return found


def _rfc6052(value: int, length: int) -> ipaddress.IPv4Address:
    """The IPv4 address under a NAT64 prefix of 48, 56 or 64 bits: around the u octet (64-71)."""
    high_bits, low_bits = 64 - length, length - 32
    high = (value >> 64) & ((1 << high_bits) - 1)
    low = (value >> (88 - length)) & ((1 << low_bits) - 1)
    return ipaddress.IPv4Address(high << low_bits | low)


def _low32_forms(ip: ipaddress.IPv6Address) -> list[str]:
    """The forms that put the IPv4 address in the last 32 bits."""
    forms = [form for form, network in LOW32_PREFIXES if ip in network]
    if (int(ip) >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP: ::0:5efe:a.b.c.d, ::200:5efe:...
        forms.append("ISATAP")
    return forms


def _flagged(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
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
            return label
    return None


def check_public_url(
    url: object, resolve: Callable[[str], Iterable[str]], field: str = "callback_url"
) -> str:
    """The URL's host if every address it resolves to is public; raises InvalidInput."""
    host = url_host(url, field)
    if host in METADATA_HOSTS or host == "localhost" or host.endswith(".localhost"):
        raise InvalidInput(f"{field} host {host!r} is not allowed", field)
    try:
        addresses = list(resolve(host))
    except (OSError, ValueError) as error:  # ValueError: the IDNA codec's UnicodeError
        raise InvalidInput(f"{field} host {host!r} does not resolve ({error})", field) from error
    if not addresses:
        raise InvalidInput(f"{field} host {host!r} does not resolve", field)
    for address in addresses:
        reason = forbidden_reason(address)
        if reason:
            raise InvalidInput(f"{field} host {host!r} is not allowed: {reason}", field)
    return host


def url_host(url: object, field: str = "callback_url") -> str:
    """The host of an http(s) URL: an IP literal, or a domain name in ASCII (IDNA), lowercase,
    without its final dot. Total: anything else raises InvalidInput naming the field."""
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidInput(f"{field} must be a URL of at most 2048 characters", field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is no number of 0-65535)
    except ValueError as error:  # a bracketed host that is no IPv6 address, a bad port
        raise InvalidInput(f"{field} is not a valid URL ({error})", field) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{field} must be an http(s) URL with a host, not {url[:80]!r}", field)
    if parts.username or parts.password:
        raise InvalidInput(f"{field} must not carry credentials", field)
    host = parts.hostname.rstrip(".").lower()
    if _is_ip(host):
        return host
    if "[" in parts.netloc:  # urlsplit lets IPvFuture ([v1.x]) through
        raise InvalidInput(f"{field} host {host[:80]!r} is not an IP address", field)
    return _domain_name(host, field)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _domain_name(host: str, field: str) -> str:
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError as error:  # an empty label, one over 63 characters, bad code points
        raise InvalidInput(
            f"{field} host {host[:80]!r} is not a valid domain name ({error})", field
        ) from error
    if len(name) > 253 or not all(DNS_LABEL.fullmatch(label) for label in name.split(".")):
        raise InvalidInput(f"{field} host {host[:80]!r} is not a valid domain name", field)
    return name
