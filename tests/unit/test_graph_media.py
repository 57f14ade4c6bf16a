"""--media: posts, images and getBlob of the graph server, through GraphService without sockets."""

from __future__ import annotations

import gzip
import io
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

from kindred_infra import paths
from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.cid import raw_cid, varint
from kindred_infra.graph_server.faults import FaultPlan
from kindred_infra.graph_server.graph import Graph, load_graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.images import ImageMaker
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RatePolicy
from kindred_infra.graph_server.service import GraphService

pytestmark = pytest.mark.unit
FEED, BLOB = "app.bsky.feed.getAuthorFeed", "com.atproto.sync.getBlob"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_graph(paths.DEFAULT_GRAPH)


@pytest.fixture(scope="module")
def images() -> ImageMaker:
    return ImageMaker.build(8_000)


def make(graph: Graph, images: ImageMaker, blob_rate: str = "0", **faults: Any) -> GraphService:
    return GraphService(
        GraphApi(graph, Identity("ego-twitter"), images),
        FixedWindowLimiter(RatePolicy.parse("0")),
        FaultPlan(**faults),
        blob_limiter=FixedWindowLimiter(RatePolicy.parse(blob_rate)),
    )


@pytest.fixture(scope="module")
def service(graph: Graph, images: ImageMaker) -> GraphService:
    return make(graph, images)


def handle_with(service: GraphService, rank: int = 0) -> str:
    """The handle of the account with the rank-th most posts."""
    media, ids = service.api.media, service.api.graph.ids
    assert media is not None
    counts = media.model.counts(ids)
    return f"u{int(ids[np.argsort(-counts, kind='stable')[rank]])}.ego-twitter.test"


def feed(service: GraphService, actor: str, **params: str) -> Any:
    query = {"actor": [actor], **{k: [v] for k, v in params.items()}}
    reply = service.xrpc(FEED, query, "10.0.0.1", "http://h", 0.0)
    assert reply.status == 200, reply.body
    return reply.json()


def all_items(service: GraphService, actor: str, filter_: str) -> list[Any]:
    items, cursor = [], None
    while True:
        page = feed(
            service, actor, limit="100", filter=filter_, **({"cursor": cursor} if cursor else {})
        )
        items += page["feed"]
        cursor = page.get("cursor")
        if cursor is None:
            return items


def test_cid_encoder_matches_known_cids() -> None:
    assert raw_cid(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert raw_cid(b"hello") == "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    assert (varint(0x55), varint(300)) == (b"\x55", b"\xac\x02")


def test_post_counts_are_heavy_tailed(service: GraphService) -> None:
    media = service.api.media
    assert media is not None
    counts = media.model.counts(service.api.graph.ids)
    assert 0.3 < (counts == 0).mean() < 0.5
    assert 5 <= (counts >= 1000).sum() <= 200 and counts.max() <= 5000


def test_the_feed_is_deterministic(graph: Graph, images: ImageMaker, service: GraphService) -> None:
    actor = handle_with(service, 5)
    other = make(graph, ImageMaker.build(8_000))
    assert feed(service, actor, limit="30") == feed(other, actor, limit="30")


def test_paging_gives_every_post_once_newest_first(service: GraphService) -> None:
    actor = handle_with(service, 3)
    items = all_items(service, actor, "posts_with_replies")
    media = service.api.media
    assert media is not None
    assert len(items) == media.posts_count(
        service.api.graph.index_of(int(actor[1:].split(".")[0])) or 0
    )
    times = [
        i.get("reason", {}).get("indexedAt") or i["post"]["record"]["createdAt"] for i in items
    ]
    assert times == sorted(times, reverse=True) and len(set(times)) == len(times)
    keys = [(i["post"]["uri"], i.get("reason", {}).get("indexedAt")) for i in items]
    assert len(set(keys)) == len(keys)


def test_shapes_reposts_replies_and_images(service: GraphService) -> None:
    actor = handle_with(service, 0)
    items = all_items(service, actor, "posts_with_replies")
    reposts = [i for i in items if "reason" in i]
    replies = [i for i in items if "reply" in i]
    with_images = [i for i in items if "embed" in i["post"]["record"] and "reason" not in i]
    assert reposts and replies and with_images
    repost = reposts[0]
    assert repost["reason"]["$type"] == "app.bsky.feed.defs#reasonRepost"
    assert repost["reason"]["by"]["handle"] == actor
    assert repost["post"]["author"]["handle"] != actor
    assert repost["post"]["record"]["createdAt"] < repost["reason"]["indexedAt"]
    reply = replies[0]
    assert reply["reply"]["parent"]["$type"] == "app.bsky.feed.defs#postView"
    assert reply["post"]["record"]["reply"]["parent"]["uri"] == reply["reply"]["parent"]["uri"]
    post = with_images[0]["post"]
    did = post["author"]["did"]
    assert post["uri"].startswith(f"at://{did}/app.bsky.feed.post/") and post["cid"].startswith(
        "bafyrei"
    )
    record_images, view = post["record"]["embed"]["images"], post["embed"]
    assert (
        post["record"]["embed"]["$type"] == "app.bsky.embed.images" and 1 <= len(record_images) <= 4
    )
    assert view["$type"] == "app.bsky.embed.images#view"
    for stored, shown in zip(record_images, view["images"], strict=True):
        blob = stored["image"]
        assert set(blob) == {"$type", "ref", "mimeType", "size"} and blob["$type"] == "blob"
        assert stored["aspectRatio"] == shown["aspectRatio"] and stored["alt"] == shown["alt"]
        assert shown[
            "fullsize"
        ] == f"http://h/img/feed_fullsize/plain/{did}/{blob['ref']['$link']}@jpeg" or (
            blob["mimeType"] != "image/jpeg"
        )


@pytest.mark.parametrize(
    "filter_",
    ["posts_no_replies", "posts_with_media", "posts_and_author_threads", "posts_with_video"],
)
def test_filters(service: GraphService, filter_: str) -> None:
    actor = handle_with(service, 1)
    items = all_items(service, actor, filter_)
    everything = all_items(service, actor, "posts_with_replies")
    assert len(items) < len(everything)
    for item in items:
        record, reply = item["post"]["record"], item.get("reply")
        if filter_ == "posts_no_replies":
            assert "reply" not in record
        elif filter_ == "posts_with_media":
            assert "reason" not in item and record["embed"]["$type"] == "app.bsky.embed.images"
        elif filter_ == "posts_and_author_threads" and reply:
            assert reply["root"]["author"]["handle"] == actor
    assert (filter_ == "posts_with_video") == (items == [])


def test_bad_requests_are_bluesky_errors(service: GraphService) -> None:
    def error(method: str, **params: str) -> tuple[int, str]:
        reply = service.xrpc(method, {k: [v] for k, v in params.items()}, "x", "http://h", 0.0)
        return reply.status, reply.json()["error"]

    actor = handle_with(service, 2)
    assert error(FEED, actor=actor, filter="nope") == (400, "InvalidRequest")
    assert error(FEED, actor=actor, limit="101") == (400, "InvalidRequest")
    assert error(FEED, actor=actor, cursor="garbage") == (400, "InvalidRequest")
    assert error(FEED, actor="u1.other.test") == (400, "InvalidRequest")
    did = Identity("ego-twitter").did(int(actor[1:].split(".")[0]))
    assert error(
        BLOB, did=did, cid="bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    ) == (
        400,
        "BlobNotFound",
    )
    assert error(BLOB, did="did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", cid=raw_cid(b"")) == (
        400,
        "RepoNotFound",
    )
    assert error(BLOB, did=did, cid="nope") == (400, "InvalidRequest")
    assert error(BLOB, did=did) == (400, "InvalidRequest")


def test_unavailable_repos_refuse_blobs_by_name(service: GraphService) -> None:
    media, ids = service.api.media, service.api.graph.ids
    assert media is not None
    statuses = media.model.statuses(ids)
    names = {1: "RepoTakendown", 2: "RepoSuspended", 3: "RepoDeactivated"}
    for status, name in names.items():
        did = Identity("ego-twitter").did(int(ids[np.flatnonzero(statuses == status)[0]]))
        reply = service.xrpc(BLOB, {"did": [did], "cid": [raw_cid(b"")]}, "x", "http://h", 0.0)
        assert (reply.status, reply.json()["error"]) == (400, name)
        assert did in reply.json()["message"]


def fetch_images(service: GraphService, actor: str) -> list[tuple[dict[str, Any], bytes, str]]:
    found = []
    for item in all_items(service, actor, "posts_with_media"):
        did = item["post"]["author"]["did"]
        for image in item["post"]["record"]["embed"]["images"]:
            blob = image["image"]
            reply = service.xrpc(BLOB, {"did": [did], "cid": [blob["ref"]["$link"]]}, "x", "h", 0.0)
            assert reply.status == 200 and reply.headers["content-disposition"] == "attachment"
            found.append((image, reply.body, reply.content_type))
    return found


def test_blobs_are_the_files_their_cids_name(service: GraphService) -> None:
    found = fetch_images(service, handle_with(service, 0))
    kinds = {mime for _, _, mime in found}
    assert kinds == {"image/jpeg", "image/png", "image/webp"}
    assert len({raw_cid(data) for _, data, _ in found}) == len(found)  # each distinct
    formats = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
    for image, data, mime in found[:300]:
        blob = image["image"]
        assert raw_cid(data) == blob["ref"]["$link"] and len(data) == blob["size"]
        assert mime == blob["mimeType"]
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            assert picture.format == formats[mime]
            assert picture.size == (image["aspectRatio"]["width"], image["aspectRatio"]["height"])


def test_jpegs_do_not_compress_and_sizes_follow_the_flag() -> None:
    maker = ImageMaker.build(200_000)
    sizes = []
    for key in range(26, 26 + 8 * 256, 256):  # one image of each JPEG base
        mime, data = maker.content(key, f"name-{key}")
        assert mime == "image/jpeg"
        assert 1 - len(gzip.compress(data)) / len(data) < 0.02
        sizes.append(len(data))
    assert 100_000 < sum(sizes) / len(sizes) < 300_000


def test_blob_rate_limit_is_its_own(graph: Graph, images: ImageMaker) -> None:
    service = make(graph, images, blob_rate="2/300")
    params = {"did": ["did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"], "cid": [raw_cid(b"")]}
    first = service.xrpc(BLOB, params, "x", "h", 100.0)
    assert (
        first.headers["ratelimit-policy"] == "2;w=300" and first.headers["ratelimit-limit"] == "2"
    )
    service.xrpc(BLOB, params, "x", "h", 100.0)
    assert service.xrpc(BLOB, params, "x", "h", 100.0).status == 429
    assert service.xrpc(FEED, {"actor": [handle_with(service)]}, "x", "h", 100.0).status == 200


def test_faults_cover_the_media_methods(graph: Graph, images: ImageMaker) -> None:
    service = make(graph, images, share=1.0, kinds=("5xx",))
    assert service.xrpc(FEED, {"actor": [handle_with(service)]}, "x", "h", 0.0).status >= 500
    params = {"did": ["did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"], "cid": [raw_cid(b"")]}
    assert service.xrpc(BLOB, params, "x", "h", 0.0).status >= 500


def test_feed_page_time_of_the_busiest_account(graph: Graph) -> None:
    """Benchmark-style: prints the time of full pages (not asserted: the machine is shared)."""
    service = make(graph, ImageMaker.build(200_000))
    actor = handle_with(service, 0)
    for filter_ in ("posts_with_replies", "posts_with_media"):
        started = time.perf_counter()
        page = feed(service, actor, limit="100", filter=filter_)
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(5):
            page = feed(service, actor, limit="100", filter=filter_, cursor=page["cursor"])
        later = (time.perf_counter() - started) / 5
        print(
            f"\n{actor} {filter_}: first page {first * 1e3:.1f} ms, next pages {later * 1e3:.1f} ms"
        )
