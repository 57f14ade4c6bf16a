"""Media values: an image of a post as the adapter parsed it, and a page of them."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BLOB_BYTES = 2_000_000  # app.bsky.embed.images: the largest image blob Bluesky accepts
MAX_ALT = 2_000  # characters of alt text kept (Bluesky's editor allows 2,000)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


@dataclass(frozen=True)
class MediaImage:
    """One image of one of the account's own posts, as its record names it."""

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

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime, "bin")


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
