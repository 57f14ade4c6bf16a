"""`app.bsky.feed.getAuthorFeed` and `com.atproto.sync.getBlob` over the derived posts.

Shapes follow the lexicons (app.bsky.feed.defs, app.bsky.embed.images, com.atproto.sync.getBlob):
a page is `{feed: [feedViewPost], cursor?}`, newest first, in a stable order, with an opaque
cursor sealed to (dataset, actor, filter). Records name their images as blobs whose CID is the
real CIDv1 of the bytes `getBlob` returns; finding an image by CID needs the account's list,
kept for the last accounts asked (a crawler fetches one account's images in a row).
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from kindred_infra.graph_server.cid import DAG_CBOR, cid_from_digest, is_cid_syntax
from kindred_infra.graph_server.cursor import decode_cursor, encode_cursor
from kindred_infra.graph_server.graph import Graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.images import BlobInfo, ImageMaker
from kindred_infra.graph_server.posts import (
    REPLY,
    REPOST,
    SELF_REPLY,
    AccountPosts,
    PostModel,
)
from kindred_infra.graph_server.profiles import ProfileMaker

FILTERS = (
    "posts_with_replies", "posts_no_replies", "posts_with_media",
    "posts_and_author_threads", "posts_with_video",
)  # fmt: skip
STATUS_ERRORS = {1: ("RepoTakendown", "takendown"), 2: ("RepoSuspended", "suspended"),
                 3: ("RepoDeactivated", "deactivated")}  # fmt: skip
CACHED_ACCOUNTS, CACHED_IMAGES = 64, 1 << 16
_TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
_WORDS = (
    "morning", "coffee", "light", "river", "city", "train", "garden", "rain", "street", "market",
    "sunset", "friends", "music", "book", "walk", "window", "harbour", "bread", "snow", "mountain",
    "today", "finally", "again", "new", "old", "quiet", "busy", "little", "long", "best",
)  # fmt: skip
_ALTS = ("a photo", "view from the window", "screenshot", "the view today", "")


@dataclass(frozen=True)
class RawBlob:
    """A non-JSON answer: the bytes of a blob and its mime type."""

    mime: str
    data: bytes


@dataclass(frozen=True)
class _Post:
    record: dict[str, Any]  # shared by every view of the post: never changed after it is made
    blobs: tuple[tuple[BlobInfo, str], ...]
    uri: str
    cid: str


class MediaError(Exception):
    """An XRPC error of the media methods: status, Bluesky's error name, message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message


class Media:
    """Posts and images of a graph's accounts; `images` makes the files."""

    def __init__(
        self, graph: Graph, identity: Identity, profiles: ProfileMaker, images: ImageMaker
    ) -> None:
        self.graph, self.identity, self.profiles, self.images = graph, identity, profiles, images
        self.model = PostModel(graph, identity.dataset)
        self._account = functools.lru_cache(maxsize=CACHED_ACCOUNTS)(self.model.account)
        self._blob_index = functools.lru_cache(maxsize=CACHED_ACCOUNTS)(self._index_blobs)
        self._info = functools.lru_cache(maxsize=CACHED_IMAGES)(images.info)
        self._did = functools.lru_cache(maxsize=CACHED_IMAGES)(identity.did)
        # A reply's record names its parent and root by URI and CID, so a thread recomputes
        # its posts' records over and over unless they are kept (a page's time halved).
        self._post = functools.lru_cache(maxsize=CACHED_IMAGES)(self._post_uncached)

    # getAuthorFeed

    def author_feed(self, index: int, filter_: str, limit: int, cursor: str | None,
                    base_url: str) -> dict[str, Any]:  # fmt: skip
        """One page, newest first; raises BadCursor for a cursor of another list."""
        posts = self._account(index)
        order = self._selected(posts, filter_)
        binding = f"{self.identity.dataset}|app.bsky.feed.getAuthorFeed|{posts.account}|{filter_}"
        offset = decode_cursor(binding, cursor) if cursor else 0
        page = order[offset : offset + limit].tolist()
        answer: dict[str, Any] = {"feed": [self._feed_item(posts, p, base_url) for p in page]}
        if offset + limit < order.size:
            answer["cursor"] = encode_cursor(binding, offset + limit)
        return answer

    def posts_count(self, index: int) -> int:
        return int(self.model.counts(self.graph.ids[index : index + 1])[0])

    # What another dialect (Mastodon's `only_media` statuses) is made of: the same posts.

    def with_images(self, index: int, replies: bool) -> tuple[AccountPosts, np.ndarray]:
        """The account's posts and, newest first, its own posts with images; with `replies`
        False, those replying to another account are left out (a self-thread stays)."""
        posts = self._account(index)
        selected = self._selected(posts, "posts_with_media")
        if not replies:
            selected = selected[posts.kinds[selected] != REPLY]
        return posts, selected

    def post_images(self, posts: AccountPosts, p: int) -> tuple[tuple[BlobInfo, str], ...]:
        """Post p's images and their alt texts."""
        return self._post(posts.index, p).blobs

    def image(self, posts: AccountPosts, p: int, slot: int) -> RawBlob | None:
        """The bytes of image `slot` of post p, if the post is the account's own and has it."""
        if int(posts.kinds[p]) == REPOST or not 0 <= slot < int(posts.images[p]):
            return None
        mime, data = self.images.content(*self._image_id(posts, p, slot))
        return RawBlob(mime, data)

    def text(self, posts: AccountPosts, p: int) -> str:
        return str(self._post(posts.index, p).record["text"])

    def replied(self, posts: AccountPosts, p: int) -> tuple[AccountPosts, int] | None:
        """The account's posts and the number of the post p replies to, if it is a reply."""
        return self._parent(posts, p)

    def account_posts(self, index: int) -> AccountPosts:
        return self._account(index)

    def _selected(self, posts: AccountPosts, filter_: str) -> np.ndarray:
        kinds, own = posts.kinds, posts.kinds != REPOST
        masks: dict[str, Callable[[], np.ndarray]] = {
            "posts_with_replies": lambda: np.ones(kinds.size, dtype=bool),
            "posts_no_replies": lambda: (kinds != REPLY) & (kinds != SELF_REPLY),
            "posts_with_media": lambda: own & (posts.images > 0),
            "posts_and_author_threads": lambda: kinds != REPLY,
            "posts_with_video": lambda: np.zeros(kinds.size, dtype=bool),
        }
        return np.flatnonzero(masks[filter_]())[::-1]

    def _feed_item(self, posts: AccountPosts, p: int, base_url: str) -> dict[str, Any]:
        kind = int(posts.kinds[p])
        if kind == REPOST:
            subject = self._account(int(posts.target_index[p]))
            item = {"post": self._post_view(subject, int(posts.target_post[p]), base_url)}
            by = self.profiles.basic(posts.account, base_url)
            item["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost", "by": by,
                              "indexedAt": iso(int(posts.times[p]))}  # fmt: skip
            return item
        item = {"post": self._post_view(posts, p, base_url)}
        parent = self._parent(posts, p)
        if parent is not None:
            root = self._root(posts, p)
            item["reply"] = {"root": self._typed_view(*root, base_url),
                             "parent": self._typed_view(*parent, base_url)}  # fmt: skip
        return item

    def _parent(self, posts: AccountPosts, p: int) -> tuple[AccountPosts, int] | None:
        kind = int(posts.kinds[p])
        if kind == REPLY:
            return self._account(int(posts.target_index[p])), int(posts.target_post[p])
        return (posts, p - 1) if kind == SELF_REPLY else None

    def _root(self, posts: AccountPosts, p: int) -> tuple[AccountPosts, int]:
        if int(posts.kinds[p]) == SELF_REPLY:
            return posts, int(posts.roots[p])
        parent = self._parent(posts, p)
        assert parent is not None
        return parent

    def _typed_view(self, posts: AccountPosts, p: int, base_url: str) -> dict[str, Any]:
        return {"$type": "app.bsky.feed.defs#postView", **self._post_view(posts, p, base_url)}

    def _post_view(self, posts: AccountPosts, p: int, base_url: str) -> dict[str, Any]:
        did = self._did(posts.account)
        post = self._post(posts.index, p)
        record, blobs = post.record, post.blobs
        key = int(posts.keys[p])
        view: dict[str, Any] = {
            "uri": post.uri,
            "cid": post.cid,
            "author": self.profiles.basic(posts.account, base_url),
            "record": record,
            "replyCount": key >> 20 & 3, "repostCount": key >> 22 & 7, "likeCount": key >> 25 & 31,
            "quoteCount": 0,
            "indexedAt": iso(int(posts.times[p]) + 1000),
            "labels": [],
        }  # fmt: skip
        if blobs:
            view["embed"] = {"$type": "app.bsky.embed.images#view", "images": [
                {"thumb": cdn_url(base_url, "feed_thumbnail", did, b), "alt": alt,
                 "fullsize": cdn_url(base_url, "feed_fullsize", did, b),
                 "aspectRatio": {"width": b.width, "height": b.height}}
                for b, alt in blobs]}  # fmt: skip
        return view

    def _post_uncached(self, index: int, p: int) -> _Post:
        """What a post's views share whatever the base URL: its record, blobs, URI and CID."""
        posts = self._account(index)
        record, blobs = self._record(posts, p)
        uri = f"at://{self._did(posts.account)}/app.bsky.feed.post/"
        uri += _tid(int(posts.times[p]), int(posts.keys[p]))
        cid = cid_from_digest(hashlib.sha256(_canonical(record)).digest(), DAG_CBOR)
        return _Post(record, tuple(blobs), uri, cid)

    def _record(
        self, posts: AccountPosts, p: int
    ) -> tuple[dict[str, Any], list[tuple[BlobInfo, str]]]:
        key = int(posts.keys[p])
        words = random.Random(key).choices(_WORDS, k=3 + key % 14)
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": " ".join(words).capitalize() + ".",
            "createdAt": iso(int(posts.times[p])),
            "langs": ["en"],
        }
        parent = self._parent(posts, p)
        if parent is not None:
            record["reply"] = {
                "root": self._ref(*self._root(posts, p)),
                "parent": self._ref(*parent),
            }
        blobs = [(self._blob(posts, p, s), _ALTS[(key >> (4 * s)) % len(_ALTS)])
                 for s in range(int(posts.images[p]))]  # fmt: skip
        if blobs:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"alt": alt, "image": {"$type": "blob", "ref": {"$link": b.cid},
                                       "mimeType": b.mime, "size": b.size},
                 "aspectRatio": {"width": b.width, "height": b.height}}
                for b, alt in blobs]}  # fmt: skip
        return record, blobs

    def _ref(self, posts: AccountPosts, p: int) -> dict[str, str]:
        post = self._post(posts.index, p)
        return {"uri": post.uri, "cid": post.cid}

    def _blob(self, posts: AccountPosts, p: int, slot: int) -> BlobInfo:
        return self._info(*self._image_id(posts, p, slot))

    def _image_id(self, posts: AccountPosts, p: int, slot: int) -> tuple[int, str]:
        key = int(posts.keys[p])
        image_key = (key * (slot + 1) * 0x9E3779B97F4A7C15 + slot) & (2**64 - 1)
        rkey = _tid(int(posts.times[p]), key)
        return image_key, f"{self.identity.handle(posts.account)}/{rkey}/{slot}"

    # getBlob

    def blob(self, did: str, cid: str) -> RawBlob:
        """The original bytes; raises MediaError with Bluesky's error names."""
        if not is_cid_syntax(cid):
            raise MediaError(400, "InvalidRequest", "Error: cid must be a cid string")
        account = self.identity.resolve(did) if did.startswith("did:") else None
        index = None if account is None else self.graph.index_of(account)
        if index is None or account is None:
            raise MediaError(400, "RepoNotFound", f"Could not find repo for DID: {did}")
        status = int(self.model.statuses(np.array([account]))[0])
        if status:
            error, word = STATUS_ERRORS[status]
            raise MediaError(400, error, f"Repo has been {word}: {did}")
        found = self._blob_index(index).get(cid)
        if found is None:
            raise MediaError(400, "BlobNotFound", "Blob not found")
        mime, data = self.images.content(*found)
        return RawBlob(mime, data)

    def status(self, index: int) -> int:
        return int(self.model.statuses(self.graph.ids[index : index + 1])[0])

    def _index_blobs(self, index: int) -> dict[str, tuple[int, str]]:
        posts, found = self._account(index), {}
        for p in np.flatnonzero(posts.images > 0).tolist():
            for slot in range(int(posts.images[p])):
                image = self._image_id(posts, p, slot)
                found[self._info(*image).cid] = image
        return found


def cdn_url(base_url: str, preset: str, did: str, blob: BlobInfo) -> str:
    """The CDN's URL of an image (`feed_thumbnail` or `feed_fullsize`): its original bytes."""
    return f"{base_url}/img/{preset}/plain/{did}/{blob.cid}@{blob.mime.split('/')[1]}"


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


def _tid(micros: int, key: int) -> str:
    """A record key in atproto's TID form: 53 bits of microseconds, 10 of clock id, base32-sort."""
    value = (micros << 10) | (key & 0x3FF)
    return "".join(_TID_CHARS[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def iso(micros: int) -> str:
    """RFC 3339 in UTC, to the millisecond, as Bluesky and Mastodon write times."""
    moment = datetime.fromtimestamp(micros // 1_000_000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{micros // 1000 % 1000:03d}Z"
