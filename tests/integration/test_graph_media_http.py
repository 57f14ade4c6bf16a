"""The graph server with --media over real HTTP: a feed page, a blob, the CDN URL, and the same
through Bluesky's own Python SDK (`atproto.Client`), unmodified, as a user would."""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest

from kindred_infra.graph_server.cid import raw_cid
from kindred_infra.process import LOOPBACK, Service, free_port, http_ok, running

pytestmark = pytest.mark.integration
BUSY = "u71391606.ego-twitter.test"  # the bundled graph's account with the most posts (4,638)


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    log = tmp_path_factory.mktemp("graph-media") / "graph-server.log"
    argv = [sys.executable, "-m", "kindred_infra.graph_server", "--port", str(port), "--media"]
    service = Service(
        name="graph-server",
        argv=[*argv, "--image-bytes", "20000"],
        log=log,
        healthy=lambda: http_ok(f"http://{LOOPBACK}:{port}/_health"),
        env={"KINDRED_GRAPH_PATH": ""},
    )
    with running(service):
        yield port


def get(port: int, path: str, **params: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
    try:
        conn.request("GET", f"{path}?{urlencode(params)}" if params else path)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_feed_blob_and_cdn_over_http(port: int) -> None:
    started = time.perf_counter()
    status, _, body = get(port, "/xrpc/app.bsky.feed.getAuthorFeed", actor=BUSY, limit="100",
                          filter="posts_with_media")  # fmt: skip
    print(f"\nfeed page of 100 over HTTP: {(time.perf_counter() - started) * 1e3:.1f} ms")
    assert status == 200
    page = json.loads(body)
    post = page["feed"][0]["post"]
    blob = post["record"]["embed"]["images"][0]["image"]
    status, headers, data = get(port, "/xrpc/com.atproto.sync.getBlob", did=post["author"]["did"],
                                cid=blob["ref"]["$link"])  # fmt: skip
    assert status == 200 and headers["content-type"] == blob["mimeType"]
    assert headers["content-disposition"] == "attachment"
    assert headers["ratelimit-policy"] == "3000;w=300"
    assert raw_cid(data) == blob["ref"]["$link"] and len(data) == blob["size"]
    fullsize = urlsplit(post["embed"]["images"][0]["fullsize"])
    status, _, same = get(port, fullsize.path)
    assert status == 200 and same == data


def test_bluesky_sdk_reads_a_feed_and_a_blob(port: int) -> None:
    atproto = pytest.importorskip("atproto")  # in the dev extra
    client = atproto.Client(base_url=f"http://{LOOPBACK}:{port}/xrpc")
    page = client.app.bsky.feed.get_author_feed({"actor": BUSY, "filter": "posts_with_media"})
    assert page.feed and page.cursor
    post = page.feed[0].post
    image = post.record.embed.images[0].image
    data = client.com.atproto.sync.get_blob({"did": post.author.did, "cid": image.ref.link})
    assert hashlib.sha256(data).digest() and raw_cid(data) == image.ref.link
    params = {"actor": BUSY, "filter": "posts_with_media", "cursor": page.cursor}
    later = client.app.bsky.feed.get_author_feed(params)
    client.request.close()
    assert {item.post.uri for item in later.feed}.isdisjoint({item.post.uri for item in page.feed})
