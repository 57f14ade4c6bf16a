"""A Mastodon home server named by a user is reached only at the address its check approved.

`rebind.test` answers a public address to the first lookup and 127.0.0.1 to every later one
(conftest's `rebinding`), so a client that resolved the name again to connect would reach the
local graph server on loopback. The adapter resolves once per call, checks every address and
connects to the checked one (refused here: the sandbox never connects out), so the graph
server sees nothing; only the host the operator configured is let through on loopback.
"""

from __future__ import annotations

import functools

import pytest
from support.api import call
from support.rebinding import PUBLIC

from kindred.adapters import pinned
from kindred.adapters.mastodon import MastodonGraph
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, InvalidInput, RetryLater
from kindred.core.netguard import check_public_url

PUBLIC_ONLY = functools.partial(check_public_url, field="account")


def graph_requests(stack: dict) -> int:
    return call("GET", stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"]


def test_a_home_server_that_resolves_to_loopback_the_second_time_gets_no_call(
    local_stack, rebinding, connections
):
    port = int(local_stack["KINDRED_GRAPH_URL"].rsplit(":", 1)[1])
    graph = MastodonGraph("rebind.test", f"http://rebind.test:{port}", Meter(), PUBLIC_ONLY)
    before = graph_requests(local_stack)
    with pytest.raises(RetryLater, match=r"refused|NewConnectionError"):
        graph.profile("u6017542@rebind.test")
    assert rebinding == ["rebind.test"]  # resolved once, by the check
    assert connections == [(PUBLIC, port)]  # the connection went to the checked address
    assert graph_requests(local_stack) == before  # the graph server heard nothing


def test_every_address_is_checked_and_one_private_refuses_the_host(connections):
    resolve = {"mixed.test": [PUBLIC, "10.1.2.3"], "meta.test": ["169.254.169.254"]}.get
    for host in ("mixed.test", "meta.test"):
        graph = MastodonGraph(host, f"https://{host}", Meter(), PUBLIC_ONLY, resolve)
        with pytest.raises(FailedForGood) as raised:
            graph.followers("1", None, 80)
        assert raised.value.reason == "host_not_allowed"
    assert connections == []  # refused before any connection


def test_only_the_configured_host_passes_on_loopback(local_stack, connections):
    url = local_stack["KINDRED_GRAPH_URL"]
    graph = MastodonGraph("ego-twitter.test", url, Meter(), pinned.configured(url))
    assert graph.profile("u6017542").handle == "u6017542@ego-twitter.test"
    with pytest.raises(InvalidInput):
        pinned.configured(url)("http://rebind.test/api/v1/accounts/1", pinned.resolve)
    elsewhere = MastodonGraph("ego-twitter.test", url, Meter(), PUBLIC_ONLY)
    with pytest.raises(FailedForGood, match="loopback"):
        elsewhere.profile("u6017542")  # the same loopback server, unconfigured: refused
