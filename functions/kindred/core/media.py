"""Media values: an image of a post as the adapter parsed it, and a page of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_BLOB_BYTES = 2_000_000  # app.bsky.embed.images: the largest image blob Bluesky accepts
MAX_MASTODON_IMAGE_BYTES = 16 * 1024 * 1024  # Mastodon 4's largest image upload (16 MB)
MAX_ALT = 2_000  # characters of alt text kept (Bluesky's editor allows 2,000)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
ID_KEY = "id-"  # how the key of an image named by its upstream id starts (no CID does)


@dataclass(frozen=True)
class MediaImage:
    """One image of one of the account's own posts, as its record names it.

    Bluesky names an image by its CID, known before download. Mastodon names an attachment
    by its id on the home server and says nothing of its bytes: `cid` is then "" (it is
    computed from the bytes once they are checked), `media_id` is that id, `url` where the
    bytes are, `size` 0 (not said), `did` the account's `{host}/{id}` (its id on its home
    server) and `handle` its `user@host`.
    """

    cid: str
    mime: str
    size: int
    post_uri: str
    created_at: str
    did: str
    handle: str
    alt: str = ""
    width: int | None = None
    height: int | None = None
    media_id: str = ""
    url: str = ""

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime, "bin")

    @property
    def key(self) -> str:
        """What names the image before its bytes are known: its CID, or its upstream id.
        Its tasks, its outcome in a collection and the CID tails a feed chain carries use it."""
        return self.cid or f"{ID_KEY}{self.media_id}"


def sidecar(image: MediaImage, cid: str, size: int, source_url: str) -> dict[str, Any]:
    """The JSON stored beside an image's file: where it comes from and what its post says.
    A Mastodon attachment's author is its account's id and `user@host`, and its id is kept."""
    author = (
        {"did": image.did, "handle": image.handle}
        if image.cid
        else {"id": image.did.rpartition("/")[2], "acct": image.handle}
    )
    ratio = {"width": image.width, "height": image.height} if image.width and image.height else None
    body: dict[str, Any] = {
        "cid": cid, "post_uri": image.post_uri, "created_at": image.created_at,
        "author": author, "alt": image.alt, "aspect_ratio": ratio, "mime_type": image.mime,
        "size": size, "source_url": source_url,
    }  # fmt: skip
    if image.media_id:
        body["attachment_id"] = image.media_id
    return body


@dataclass(frozen=True)
class MediaPage:
    """One feed page's images, newest first; what was left out is counted by reason."""

    images: tuple[MediaImage, ...]
    cursor: str | None
    posts: int = 0  # feed items on the page, kept or not
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectOptions:
    max_per_account: int = 1000  # images, newest first
    replies: bool = True  # the account's replies count as its own posts
