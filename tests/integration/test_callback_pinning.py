"""A callback goes to the address that was checked, never to one a second lookup gives.

A resolver that answers a public address to the check and 127.0.0.1 to the HTTP client
would have the callback POSTed to the service's own loopback (DNS rebinding). Here the name
`rebind.test` resolves that way through `socket.getaddrinfo` itself, so every lookup anyone
makes sees it; no connection to any public address is ever made (the sandbox has none): the
connection layer refuses them and records where it was asked to go.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from support.rebinding import PUBLIC
from support.receiver import receiving

from kindred.adapters import pinned, webhook
from kindred.core.errors import InvalidInput
from kindred.core.netguard import check_public_url, forbidden_reason


def test_a_name_that_resolves_to_loopback_on_the_second_lookup_gets_nothing_there(
    rebinding, connections
):
    with receiving() as receiver:
        port = receiver.server.server_port
        sent = webhook.notify(f"http://rebind.test:{port}/done", {"id": "x", "status": "done"})
        assert receiver.arrivals == []  # nothing reached 127.0.0.1
    assert sent is False
    assert rebinding == ["rebind.test"]  # resolved once, by the check
    assert connections == [(PUBLIC, port)]  # the one connection went to the checked address


def test_a_checked_allowed_address_gets_the_callback_with_the_original_host(connections):
    lookups: list[str] = []

    def resolver(host: str) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["127.0.0.2"]

    with receiving() as receiver:
        port = receiver.server.server_port
        url = f"http://callback.test:{port}/done?key=1"
        assert webhook.notify(url, {"id": "x", "status": "done"}, resolver, guard=pinned_guard)
        [arrival] = receiver.wait_for("/done", 1)
    assert connections == [("127.0.0.1", port)] and lookups == ["callback.test"]
    assert arrival.method == "POST" and arrival.headers["Host"] == f"callback.test:{port}"
    assert json.loads(arrival.body) == {"id": "x", "status": "done"}


def pinned_guard(url: str, resolve: pinned.Resolve) -> str:
    """A test-only guard that allows loopback: every address must be loopback, resolved once."""
    host = url.split("//", 1)[1].split(":", 1)[0]
    addresses = list(resolve(host))
    assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    return host


def test_every_address_of_the_one_lookup_is_checked_before_any_connection(connections):
    with pytest.raises(InvalidInput, match=r"127\.0\.0\.1 is loopback"):
        pinned.checked_address(
            "http://mixed.test/", lambda host: [PUBLIC, "127.0.0.1"], check_public_url
        )
    assert not webhook.notify("http://mixed.test/", {}, lambda host: [PUBLIC, "127.0.0.1"])
    assert connections == [] and forbidden_reason(PUBLIC) is None


def test_https_names_the_host_for_sni_and_the_certificate_not_the_address():
    pool = pinned.pool("https://callback.test/done", "127.0.0.1", "callback.test", 1.0)
    assert (pool.host, pool.assert_hostname) == ("127.0.0.1", "callback.test")
    assert pool.conn_kw["server_hostname"] == "callback.test" and pool.cert_reqs == "CERT_REQUIRED"
