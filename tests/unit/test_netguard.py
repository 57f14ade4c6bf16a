import ipaddress
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindred.core.errors import InvalidInput
from kindred.core.netguard import check_public_url, embedded_ipv4, forbidden_reason


def resolver(table):
    def resolve(host):
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.0.1",
        "fd00::1",
    ],
)
def test_loopback_private_link_local_and_the_like_are_refused(address):
    assert forbidden_reason(address)


def test_something_that_is_no_address_is_refused_not_crashed_on():
    assert "not an IP address" in forbidden_reason("example.com")


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::6810:85e5"])
def test_public_addresses_are_allowed(address):
    assert forbidden_reason(address) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://169.254.169.254/computeMetadata/v1/", "link-local"),
        ("http://metadata.google.internal/", "not allowed"),
        ("http://localhost/", "not allowed"),
        ("http://rebind.example/", "private"),  # a public name that resolves to a private address
        ("http://mixed.example/", "loopback"),  # one bad address among good ones is enough
        ("ftp://public.example/", "http(s)"),
        ("http://user:pw@public.example/", "credentials"),
        ("http://nowhere.example/", "does not resolve"),
        ("not a url", "http(s)"),
    ],
)
def test_a_url_that_would_reach_inside_is_refused(url, words):
    resolve = resolver(
        {
            "rebind.example": ["10.0.0.7"],
            "mixed.example": ["93.184.216.34", "127.0.0.1"],
            "public.example": ["93.184.216.34"],
            "127.0.0.1": ["127.0.0.1"],
            "::1": ["::1"],
            "169.254.169.254": ["169.254.169.254"],
        }
    )
    with pytest.raises(InvalidInput, match=re.escape(words)):
        check_public_url(url, resolve)


def test_a_public_url_passes_and_names_its_host():
    resolve = resolver({"hooks.example": ["93.184.216.34"]})
    assert check_public_url("https://Hooks.Example./done", resolve) == "hooks.example"


@pytest.mark.parametrize(
    "url",
    [
        "http://a..b/",
        "http://[zz]/",
        "http://[v1.x]/",
        f"http://{'é' * 70}.example/",
        "http://hooks.example:99999/",
        "http://-hooks.example/",
        f"http://{'a.' * 130}example/",
    ],
)
def test_a_url_whose_host_cannot_be_parsed_is_refused_naming_the_field(url):
    with pytest.raises(InvalidInput) as refused:
        check_public_url(url, lambda host: ["93.184.216.34"])
    assert refused.value.field == "callback_url"


def test_a_host_is_resolved_in_its_ascii_form():
    asked = []
    assert check_public_url("https://Bücher.Example/x", lambda h: asked.append(h) or ["8.8.8.8"])
    assert asked == ["xn--bcher-kva.example"]


def test_a_resolver_that_fails_on_the_name_is_a_refusal_not_a_crash():
    def resolve(host):
        raise UnicodeError("label empty or too long")

    with pytest.raises(InvalidInput, match="does not resolve"):
        check_public_url("https://hooks.example/", resolve)


@settings(max_examples=300)
@given(url=st.one_of(st.text(max_size=80), st.text(max_size=80).map(lambda s: f"http://{s}/")))
def test_any_url_is_a_host_or_a_refusal_that_names_the_field(url):
    try:
        host = check_public_url(url, lambda h: ["93.184.216.34"])
    except InvalidInput as refused:
        assert refused.field == "callback_url"
    else:
        assert host == host.lower() and host.isascii()


# Networks an IPv4 address must not be in (one of each kind the guard names).
INSIDE = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "0.0.0.0/8",
    "224.0.0.0/4",
    "240.0.0.0/4",
]
inside = st.sampled_from(INSIDE).flatmap(lambda net: st.ip_addresses(v=4, network=net))
public = st.ip_addresses(v=4).filter(lambda ip: forbidden_reason(str(ip)) is None)
bits = st.integers


def _v6(value):
    return str(ipaddress.IPv6Address(value))


def _rfc6052(prefix, length, v4):
    """The RFC 6052 layout: the IPv4 octets after the prefix, skipping the u octet (byte 8)."""
    raw = bytearray(ipaddress.IPv6Address(prefix).packed[: length // 8] + bytes(16 - length // 8))
    spots = [i for i in range(length // 8, 16) if i != 8][:4]
    for spot, octet in zip(spots, v4.packed, strict=True):
        raw[spot] = octet
    return str(ipaddress.IPv6Address(bytes(raw)))


WRAPPERS = {
    "mapped": lambda v4, r: _v6(0xFFFF << 32 | int(v4)),
    "compatible": lambda v4, r: _v6(int(v4)),
    "6to4": lambda v4, r: _v6(0x2002 << 112 | int(v4) << 80 | r % (1 << 80)),
    "teredo client": lambda v4, r: _v6(
        0x20010000 << 96 | (r % (1 << 64)) << 32 | (int(v4) ^ 0xFFFFFFFF)
    ),
    "teredo server": lambda v4, r: _v6(0x20010000 << 96 | int(v4) << 64 | r % (1 << 64)),
    "nat64": lambda v4, r: _v6(0x0064FF9B << 96 | int(v4)),
    "local nat64 /48": lambda v4, r: _rfc6052("64:ff9b:1::", 48, v4),
    "local nat64 /56": lambda v4, r: _rfc6052("64:ff9b:1::", 56, v4),
    "local nat64 /64": lambda v4, r: _rfc6052("64:ff9b:1::", 64, v4),
    "local nat64 /96": lambda v4, r: _rfc6052("64:ff9b:1::", 96, v4),
    "isatap": lambda v4, r: _v6(0x2600 << 112 | (r % (1 << 48)) << 64 | 0x5EFE << 32 | int(v4)),
    "isatap (universal)": lambda v4, r: _v6(0x2600 << 112 | 0x02005EFE << 32 | int(v4)),
}


@pytest.mark.parametrize("address", ["2002:a00:1::", "2002:a9fe:a9fe::", "2002:7f00:1:ffff::1"])
def test_a_6to4_address_of_an_inside_ipv4_address_is_refused(address):
    assert "6to4" in forbidden_reason(address)


@settings(max_examples=50)
@pytest.mark.parametrize("form", sorted(WRAPPERS))
@given(v4=inside, rest=bits(min_value=0, max_value=(1 << 80) - 1))
def test_an_ipv6_form_that_embeds_an_inside_ipv4_address_is_refused(form, v4, rest):
    assert forbidden_reason(WRAPPERS[form](v4, rest)), (form, str(v4))


@settings(max_examples=100)
@given(v4=public, rest=bits(min_value=0, max_value=(1 << 80) - 1))
def test_a_6to4_or_isatap_form_of_a_public_address_is_public(v4, rest):
    for form in ("6to4", "isatap", "mapped"):
        assert forbidden_reason(WRAPPERS[form](v4, rest)) is None, (form, str(v4))


@settings(max_examples=300)
@given(address=st.ip_addresses(v=6))
def test_an_allowed_ipv6_address_carries_no_inside_ipv4_address(address):
    if forbidden_reason(str(address)) is None:
        for _, v4 in embedded_ipv4(address):
            assert forbidden_reason(str(v4)) is None


def test_the_rfc_6052_layouts_are_read_back():
    v4 = ipaddress.IPv4Address("10.0.0.1")
    for length in (48, 56, 64, 96):
        found = embedded_ipv4(ipaddress.IPv6Address(_rfc6052("64:ff9b:1::", length, v4)))
        assert ("local NAT64", v4) in found, length
