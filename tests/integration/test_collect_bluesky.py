"""Provider bluesky end to end on the real stack: the feed from the configured AppView and each
account's blobs from the PDS its DID document names, with `bluesky_url` and `plc_directory`
pointed at the graph server (which serves PLC's documents, naming itself as every PDS). The
stored CIDs are the feed's, exactly as for provider local, and the DID resolution costs one
call per account with images (none for an account without)."""

from __future__ import annotations

import pytest
from support import collection as media
from support.api import call
from support.stack import running

from kindred_infra import stack
from kindred_infra.graph_server.service import DID_DOCUMENT

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def bluesky_stack(tmp_path_factory):
    """A media stack whose functions take the graph server for Bluesky: AppView, PLC, PDS."""
    ports = stack.free_ports()
    graph_url = f"http://{LOOPBACK}:{ports.graph}"
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("kindred-bluesky"), ports=ports, rate_limit="0",
        media=True, settings={"bluesky_url": graph_url, "plc_directory": graph_url},
    )  # fmt: skip
    with running(options) as env:
        assert env["KINDRED_PLC_DIRECTORY"] == env["KINDRED_GRAPH_URL"] == graph_url
        yield env


def test_a_bluesky_collection_stores_the_feeds_cids_fetched_from_each_accounts_pds(
    bluesky_stack,
):
    env = bluesky_stack
    want = media.expectations(env)
    before = media.stats(env)
    result = media.collect(env, media.ACCOUNTS, media.CAP, provider="bluesky")
    after = media.stats(env)
    used = media.spent(before, after)
    resolved = after.get(DID_DOCUMENT, 0) - before.get(DID_DOCUMENT, 0)
    pages, blobs = media.minimum(want)
    print(f"\nbluesky: {used[media.FEED]} feed pages + {resolved} DID documents + "
          f"{used[media.BLOB]} getBlob = {used['requests']} calls; the collection reports "
          f"{result['progress']['upstream_calls']}")  # fmt: skip
    assert result["provider"] == "bluesky"
    media.assert_exact_files(env, result, want, provider="bluesky")
    assert resolved == sum(1 for account in media.ACCOUNTS if want[account][0]) == 2  # not EMPTY
    assert used[media.FEED] == pages and blobs <= used[media.BLOB] <= blobs + 2
    assert used["requests"] == used[media.FEED] + resolved + used[media.BLOB]
    assert result["progress"]["upstream_calls"] == used["requests"]
    busy = next(a for a in result["accounts"] if a["account"] == media.BUSY)
    assert busy["prefix"].endswith(f"/media/bluesky/{busy['did']}/")
    assert {a["account"]: a["status"] for a in result["accounts"]} == {
        media.EMPTY: "done", media.BUSY: "done", media.DEACTIVATED: "failed"}  # fmt: skip


def test_the_atproto_sdk_resolves_an_accounts_pds_to_the_graph_server(bluesky_stack):
    atproto = pytest.importorskip("atproto")  # in the dev extra
    graph_url = bluesky_stack["KINDRED_GRAPH_URL"]
    profile_url = f"{graph_url}/xrpc/app.bsky.actor.getProfile?actor={media.BUSY}"
    status, profile = call("GET", profile_url)
    assert status == 200
    resolver = atproto.IdResolver(plc_url=graph_url, timeout=5)
    try:
        document = resolver.did.resolve(profile["did"])
        assert document.get_pds_endpoint() == graph_url and document.get_handle() == media.BUSY
        assert resolver.did.resolve("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa") is None  # PLC's 404
    finally:  # the SDK offers no close: its resolvers' httpx clients, closed by hand
        for method in resolver.did._methods.values():
            method._client.close()
