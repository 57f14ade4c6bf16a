"""Collection from provider bluesky over the fakes: the feed from the AppView, each account's
blobs from the PDS its DID document names, resolved once per account and carried forward;
an account whose document is missing, foreign or names a host kindred may not reach is
recorded with the reason, and the collection goes on."""

from __future__ import annotations

from typing import Any

import pytest
from support.fakes import World
from support.media_session import BASE, ServiceSession, graph_over
from test_collect import DEACTIVATED, NO_MEDIA, OVER_CAP, collect_all, own_media, service

from kindred.config import Settings
from kindred.core import collection_names as names
from kindred.core.cid import blob_cid
from kindred.core.media import CollectOptions
from kindred.services import collect, pipeline
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.service import DID_DOCUMENT, json_reply

pytestmark = pytest.mark.unit
__all__ = ["service"]  # the module's graph server, shared with test_collect
PLC_AT_THE_GRAPH = Settings(bluesky_url=BASE, plc_directory=BASE)
OVER_CAP_DID = Identity("ego-twitter").did(626373)
BUSY = "u71391606.ego-twitter.test"  # 14 feed pages of posts with images
FEED = "app.bsky.feed.getAuthorFeed"


def bluesky_world(source: Any) -> tuple[World, ServiceSession]:
    session = ServiceSession(source)
    return World([], settings=PLC_AT_THE_GRAPH, graph=graph_over(session)), session


def test_each_accounts_pds_is_resolved_once_and_its_blobs_fetched_there(service):
    world, session = bluesky_world(service)
    result = collect_all(world, [NO_MEDIA, OVER_CAP, DEACTIVATED], 20, provider="bluesky")
    by_account = {a["account"]: a for a in result["accounts"]}
    assert session.calls[DID_DOCUMENT] == 2  # the accounts with images; none for NO_MEDIA
    did = by_account[OVER_CAP]["did"]
    stored = {n.split("/")[-1].split(".")[0]: data for n, data in world.blobs.objects.items()
              if n.startswith(f"media/bluesky/{did}/") and not n.endswith(".json")}  # fmt: skip
    assert set(stored) == set(own_media(service, OVER_CAP)[0][:20])
    assert all(blob_cid(data) == cid for cid, data in stored.items())
    sidecar = world.blobs.read(names.sidecar_blob("bluesky", did, next(iter(stored))))
    assert f'"source_url": "{BASE}/xrpc/com.atproto.sync.getBlob?did={did}' in sidecar.decode()
    assert by_account[DEACTIVATED]["reason"] == "deactivated"
    assert by_account[NO_MEDIA]["status"] == "done"
    assert result["progress"]["upstream_calls"] == sum(session.calls.values())


def test_the_pds_rides_from_the_first_page_to_every_blob_and_the_next_pages(service):
    world, session = bluesky_world(service)
    collect.submit(world.deps(), [BUSY], "bluesky", CollectOptions(max_per_account=1000))
    handed: dict[str, list[dict]] = {}
    while world.queue.pending and session.calls.get(FEED, 0) < 3:
        _, step, body = world.queue.pending.popleft()
        handed.setdefault(step, []).append(body)
        if step != "blob":  # the feed chain only
            pipeline.deliver(world.deps(), step, body)
    assert session.calls[FEED] == 3 and session.calls[DID_DOCUMENT] == 1
    assert {body["pds"] for body in handed["blob"]} == {BASE}
    assert [body["pds"] for body in handed["media"]] == ["", BASE, BASE]


class HostilePlc:
    """The graph server, but for one DID a PLC directory that answers `reply`."""

    def __init__(self, service: Any, reply: Any):
        self.service, self.reply = service, reply

    def did_document(self, did: str, base_url: str) -> Any:
        if did == OVER_CAP_DID:
            return self.reply
        return self.service.did_document(did, base_url)

    def xrpc(self, *args: Any) -> Any:
        return self.service.xrpc(*args)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (json_reply(404, {"message": f"DID not registered: {OVER_CAP_DID}"}), "did_not_found"),
        (json_reply(410, {"message": f"DID not available: {OVER_CAP_DID}"}), "did_not_found"),
        (json_reply(200, {"id": OVER_CAP_DID, "service": []}), "no_pds"),
        (json_reply(200, {"id": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}), "bad_did_document"),
        (json_reply(200, {"id": OVER_CAP_DID, "service": [{
            "id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "http://169.254.169.254"}]}), "pds_not_allowed"),
        (json_reply(200, {"id": OVER_CAP_DID, "service": [{
            "id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "https://pds.example.com/../admin"}]}), "bad_pds_endpoint"),
    ],
)  # fmt: skip
def test_an_account_without_a_reachable_pds_is_recorded_and_the_collection_goes_on(
    service, reply, reason
):
    world, session = bluesky_world(HostilePlc(service, reply))
    result = collect_all(world, [OVER_CAP, DEACTIVATED], 20, provider="bluesky")
    failed, other = result["accounts"]
    assert (failed["status"], failed["reason"], failed["images"]) == ("failed", reason, 0)
    assert result["progress"]["upstream_calls"] == sum(session.calls.values())
    assert other["reason"] == "deactivated" and result["status"] == "done"
    assert failed["did"] == OVER_CAP_DID
    assert not any(n.startswith(f"media/bluesky/{OVER_CAP_DID}/") for n in world.blobs.objects)
    assert session.calls[DID_DOCUMENT] == 2
