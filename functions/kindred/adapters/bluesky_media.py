"""Media in the Bluesky dialect: an author's feed of posts with images, and a blob's bytes.

The request and answer handling is the graph adapter's (`bluesky.BlueskyGraph._get`, `_read`,
`_answer`): one table of errors, one deadline per call, one count per call. What the feed
says is parsed here, once, into `MediaImage` values:
- reposts are left out (a `reason` on the item, or a post whose author is not the actor);
- replies (a `reply` in the record) are kept or not, as asked;
- an image whose CID is not a raw sha2-256 CIDv1, whose mime type is not an image, or whose
  size is not a count up to MAX_BLOB_BYTES is dropped and counted (`invalid_image`).
`blob` returns the bytes of a 200 only, up to `max_bytes`; Bluesky's PDS error names become
FailedForGood with a reason (`deactivated`, `suspended`, `blob_not_found`, `not_found`).
"""

from __future__ import annotations

import time
from typing import Any

import requests

from kindred.adapters.atproto_values import INVALID_HANDLE, parse_count, parse_did, parse_handle
from kindred.adapters.bluesky import UNREADABLE, BlueskyGraph, _answer, _error_body, _field, _read
from kindred.core.cid import is_blob_cid
from kindred.core.errors import FailedForGood, RetryLater
from kindred.core.media import MAX_ALT, MAX_BLOB_BYTES, MediaImage, MediaPage

FEED = "app.bsky.feed.getAuthorFeed"
GET_BLOB = "com.atproto.sync.getBlob"
BLOB_ERRORS = {**UNREADABLE, "RepoSuspended": "suspended", "BlobNotFound": "blob_not_found",
               "RepoNotFound": "not_found"}  # fmt: skip


class BlueskyMedia:
    """A MediaSource over a BlueskyGraph's connection, meter and rate window; blobs from
    `blob_url` (the account's PDS; the local graph server serves both)."""

    max_page = 100
    max_bytes = MAX_BLOB_BYTES
    looks_up = False  # getAuthorFeed takes a handle or a DID

    def __init__(self, graph: BlueskyGraph, blob_url: str | None = None):
        self.graph = graph
        self.blob_url = (blob_url or graph.base_url).rstrip("/")

    def account_id(self, account: str) -> str:
        return account

    def media_page(self, actor: str, cursor: str | None, limit: int, replies: bool) -> MediaPage:
        params: dict[str, Any] = {"actor": actor, "limit": limit, "filter": "posts_with_media"}
        if cursor:
            params["cursor"] = cursor
        body = self.graph._get(FEED, params)
        items = _field(body, "feed", list)
        dropped: dict[str, int] = {}
        images: list[MediaImage] = []
        for item in items[:limit]:
            kept, why = _own_images(item, actor, replies)
            images.extend(kept)
            for reason in why:
                dropped[reason] = dropped.get(reason, 0) + 1
        if len(items) > limit:
            dropped["over_limit"] = len(items) - limit
        next_cursor = body.get("cursor")
        if next_cursor is not None and not isinstance(next_cursor, str):
            raise RetryLater(f"{FEED}: cursor is {type(next_cursor).__name__}, not a string")
        return MediaPage(tuple(images), next_cursor or None, min(len(items), limit), dropped)

    def blob(self, image: MediaImage, max_bytes: int = MAX_BLOB_BYTES) -> bytes:
        """The blob's bytes (unchecked: the caller checks them against the CID)."""
        graph, did, cid = self.graph, image.did, image.cid
        reopens = graph.window.closed_until(time.time())
        if reopens is not None:
            raise RetryLater(f"{GET_BLOB}: not called, a 429 holds until {reopens:.0f}", reopens)
        graph.meter.upstream_calls += 1
        deadline = time.monotonic() + graph.timeout
        params = {"did": did, "cid": cid}
        try:
            response = graph.session.get(
                f"{self.blob_url}/xrpc/{GET_BLOB}", params=params, timeout=graph.timeout,
                stream=True,
            )  # fmt: skip
        except requests.RequestException as error:
            raise RetryLater(f"{GET_BLOB}: {type(error).__name__}: {error}") from error
        try:
            with response:
                data = _read(GET_BLOB, response, deadline, graph.timeout)
        except RetryLater as error:
            if error.retry_at is not None:
                graph.window.close_until(error.retry_at)
            raise
        if response.status_code == 200:
            if len(data) > max_bytes:
                raise FailedForGood(f"{GET_BLOB}({cid}): {len(data)} bytes", "too_large")
            return data
        name, message = _error_body(data)
        if response.status_code == 400 and name in BLOB_ERRORS:
            raise FailedForGood(f"{GET_BLOB}({did}, {cid}): {name}: {message}", BLOB_ERRORS[name])
        try:
            _answer(GET_BLOB, params, response, data)
        except RetryLater as error:
            if error.retry_at is not None:
                graph.window.close_until(error.retry_at)
            raise
        raise RetryLater(f"{GET_BLOB}: a {response.status_code} answer")  # _answer always raises


def _own_images(item: Any, actor: str, replies: bool) -> tuple[list[MediaImage], list[str]]:
    """The images of a feed item that is the actor's own post, and why any were left out."""
    post = item.get("post") if isinstance(item, dict) else None
    if not isinstance(post, dict):
        return [], ["malformed"]
    author = _object(post.get("author"))
    did = parse_did(author.get("did"))
    handle = parse_handle(author.get("handle")) or INVALID_HANDLE
    if item.get("reason") is not None or did is None or actor not in (did, handle):
        return [], ["repost"]
    record = _object(post.get("record"))
    if not replies and record.get("reply") is not None:
        return [], ["reply"]
    embed = _object(record.get("embed"))
    raws = embed.get("images") if embed.get("$type") == "app.bsky.embed.images" else []
    uri, created = post.get("uri"), record.get("createdAt")
    if not isinstance(uri, str) or not isinstance(created, str) or not isinstance(raws, list):
        return [], ["malformed"]
    images = [_image(raw, uri[:500], created[:40], did, handle) for raw in raws[:4]]
    kept = [image for image in images if image is not None]
    return kept, ["invalid_image"] * (len(images) - len(kept))


def _image(raw: Any, uri: str, created: str, did: str, handle: str) -> MediaImage | None:
    blob = raw.get("image") if isinstance(raw, dict) else None
    ref = blob.get("ref") if isinstance(blob, dict) else None
    cid = ref.get("$link") if isinstance(ref, dict) else None
    if not isinstance(cid, str) or not is_blob_cid(cid) or not isinstance(blob, dict):
        return None
    mime, size = blob.get("mimeType"), parse_count(blob.get("size"))
    if not isinstance(mime, str) or not mime.startswith("image/") or len(mime) > 40:
        return None
    if size is None or size > MAX_BLOB_BYTES:
        return None
    alt = raw.get("alt") if isinstance(raw.get("alt"), str) else ""
    ratio = _object(raw.get("aspectRatio"))
    width, height = parse_count(ratio.get("width")), parse_count(ratio.get("height"))
    return MediaImage(cid, mime, size, uri, created, did, handle, alt[:MAX_ALT], width, height)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
