import re

import pytest

from kindred.core.errors import InvalidInput
from kindred.core.netguard import check_public_url, forbidden_reason


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
