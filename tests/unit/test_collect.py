"""Media collection over the fakes, with the local graph server's media answered in-process."""

from __future__ import annotations

import json
import random

import pytest
from support.collection import DEACTIVATED, EMPTY
from support.fakes import World
from support.media_session import ServiceSession, graph_over, media_service
from support.walk import deliver_all

from kindred.core import collection_names as names
from kindred.core.cid import blob_cid
from kindred.core.errors import InvalidInput, NotFound
from kindred.core.media import CollectOptions
from kindred.core.messages import CheckAccount, FetchBlob, ReadMedia, StartCollection
from kindred.services import collect, pipeline
from kindred_infra import paths
from kindred_infra.graph_server.cid import raw_cid
from kindred_infra.graph_server.graph import load_graph

pytestmark = pytest.mark.unit
NO_MEDIA = EMPTY
OVER_CAP = "u626373.ego-twitter.test"  # 36 images of its own: over a cap of 20
FEED, BLOB = "app.bsky.feed.getAuthorFeed", "com.atproto.sync.getBlob"


@pytest.fixture(scope="module")
def service():
    return media_service(load_graph(paths.DEFAULT_GRAPH))


def own_media(service, actor: str, replies: bool = True) -> tuple[list[str], int]:
    """The actor's own images, newest first, and the feed pages read: from the server itself."""
    cids, cursor, pages = [], None, 0
    while True:
        query = {"actor": [actor], "limit": ["100"], "filter": ["posts_with_media"]}
        if cursor:
            query["cursor"] = [cursor]
        page = service.xrpc(FEED, query, "10.0.0.9", "http://h", 0.0).json()
        pages += 1
        for item in page["feed"]:
            record = item["post"]["record"]
            if "reason" in item or (not replies and "reply" in record):
                continue
            cids += [i["image"]["ref"]["$link"] for i in record["embed"]["images"]]
        cursor = page.get("cursor")
        if cursor is None:
            return cids, pages


def drain(world: World, seed: int = 0, duplicates: bool = False) -> None:
    """Deliver in any order; a check only when nothing else waits (the fake queue has no `at`),
    except that the first few run early, to see them reschedule."""
    rng, early = random.Random(seed), 3
    while world.queue.pending:
        tasks = list(world.queue.pending)
        others = [t for t in tasks if t[1] != "mediacheck"]
        pick = rng.choice(others) if others and early <= 0 else rng.choice(tasks)
        early -= pick[1] == "mediacheck"
        world.queue.pending.remove(pick)
        for _ in range(2 if duplicates else 1):
            pipeline.deliver(world.deps(), pick[1], json.loads(json.dumps(pick[2])))


def collect_all(world: World, accounts, cap: int, provider="local", **drain_options) -> dict:
    options = CollectOptions(max_per_account=cap)
    collection = collect.submit(world.deps(), accounts, provider, options)
    drain(world, **drain_options)
    return collect.status(world.deps(), collection)


def test_the_core_cid_encoder_agrees_with_the_graph_servers():
    for data in (b"", b"hello", bytes(range(256)) * 300):
        assert blob_cid(data) == raw_cid(data)


@pytest.mark.parametrize("duplicates", [False, True])
def test_a_collection_stores_each_accounts_own_media_newest_first_capped(service, duplicates):
    session = ServiceSession(service)
    world = World([], graph=graph_over(session))
    result = collect_all(world, [NO_MEDIA, OVER_CAP, DEACTIVATED], 20, duplicates=duplicates)
    assert result["status"] == "done"
    by_account = {a["account"]: a for a in result["accounts"]}
    expected, pages = own_media(service, OVER_CAP)
    assert len(expected) > 20
    did = by_account[OVER_CAP]["did"]
    stored = {n.split("/")[-1].split(".")[0]: data for n, data in world.blobs.objects.items()
              if n.startswith(f"media/local/{did}/") and not n.endswith(".json")}  # fmt: skip
    assert set(stored) == set(expected[:20])
    assert all(blob_cid(data) == cid for cid, data in stored.items())
    sidecar = json.loads(world.blobs.objects[names.sidecar_blob("local", did, expected[0])])
    assert sidecar["author"]["handle"] == OVER_CAP and sidecar["post_uri"].startswith("at://")
    assert by_account[OVER_CAP]["images"] == 20 and by_account[OVER_CAP]["status"] == "done"
    assert by_account[NO_MEDIA] | {"images": 0} == by_account[NO_MEDIA]
    assert by_account[DEACTIVATED]["status"] == "failed"
    assert by_account[DEACTIVATED]["reason"] == "deactivated"
    assert result["progress"]["accounts_failed"] == 1
    assert result["progress"]["bytes_stored"] == sum(map(len, stored.values()))
    if not duplicates:  # the feed pages, one getBlob per stored image, one to learn deactivated
        over_pages = min(pages, 1)  # 36 images on the first page: the cap is met there
        assert session.calls[FEED] == 1 + over_pages + own_media(service, DEACTIVATED)[1]
        assert session.calls[BLOB] == 20 + 1


def test_a_second_collection_of_the_same_accounts_makes_no_getblob_call(service):
    session = ServiceSession(service)
    world = World([], graph=graph_over(session))
    collect_all(world, [OVER_CAP], 10)
    blobs_before = session.calls[BLOB]
    again = collect_all(world, [OVER_CAP], 10)
    assert session.calls[BLOB] == blobs_before
    [account] = again["accounts"]
    assert (account["images"], account["already_stored"], account["fetched"]) == (10, 10, 0)


def test_replies_are_left_out_when_asked(service):
    session = ServiceSession(service)
    world = World([], graph=graph_over(session))
    options = CollectOptions(max_per_account=1000, replies=False)
    collection = collect.submit(world.deps(), [OVER_CAP], "local", options)
    drain(world)
    [account] = collect.status(world.deps(), collection)["accounts"]
    assert account["images"] == len(set(own_media(service, OVER_CAP, replies=False)[0]))


def test_an_unknown_account_is_recorded_and_the_collection_goes_on(service):
    world = World([], graph=graph_over(ServiceSession(service)))
    result = collect_all(world, ["nobody.ego-twitter.test", NO_MEDIA], 5)
    assert result["status"] == "done"
    first = result["accounts"][0]
    assert (first["status"], first["reason"]) == ("failed", "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"accounts": []}, "accounts"),
        ({"accounts": ["a.test"] * 100_001}, "accounts"),
        ({"accounts": ["not a handle!"]}, "accounts"),
        ({"accounts": ["a.test"], "provider": "instagram"}, "provider"),
        ({"accounts": ["a.test"], "options": {"max_per_account": 0}}, "max_per_account"),
        ({"accounts": ["a.test"], "options": {"replies": "yes"}}, "replies"),
        ({"accounts": ["a.test"], "extra": 1}, "extra"),
    ],
)
def test_bad_requests_name_the_field(body, field):
    with pytest.raises(InvalidInput) as error:
        collect.parse_request(body)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("accounts", "provider"),
    [
        (["a.test"], "mastodon"),
        (["did:plc:x"], "mastodon"),
        (["a@x.test"], "local"),
        (["a@x"], "mastodon"),
    ],
)
def test_a_well_formed_account_of_another_providers_form_is_found_nowhere(accounts, provider):
    with pytest.raises(NotFound) as error:
        collect.parse_request({"accounts": accounts, "provider": provider})
    assert error.value.field == "accounts"


def test_mastodon_accounts_are_read_each_on_its_own_home_server():
    one = collect.parse_request({"accounts": ["@A@X.test", "b@x.test"], "provider": "mastodon"})
    assert one[:2] == (["A@x.test", "b@x.test"], "mastodon:x.test")
    several = collect.parse_request({"accounts": ["a@x.test", "b@y.test"], "provider": "mastodon"})
    assert several[:2] == (["a@x.test", "b@y.test"], "mastodon")
    assert collect.account_source("mastodon", "b@y.test") == "mastodon:y.test"
    assert collect.account_source("mastodon:x.test", "a@x.test") == "mastodon:x.test"
    assert collect.account_source("local", "a.test") == "local"


def test_a_whole_collection_hands_on_only_what_the_table_says(service):
    world = World([], graph=graph_over(ServiceSession(service)))
    collect.submit(world.deps(), [NO_MEDIA, OVER_CAP, DEACTIVATED], "local", CollectOptions(5))
    seen = deliver_all(world)
    assert seen == {StartCollection, ReadMedia, FetchBlob, CheckAccount}
