"""What a Mastodon server answers, parsed once into checked values (no I/O here).

From Mastodon's API reference (docs.joinmastodon.org): an Account's `id` is a string ("cast
from an integer, but not guaranteed to be a number"), `acct` is the username for a local
account and `username@domain` for a remote one, `suspended` and `limited` appear only when
true, `moved` is the Account moved to; `hide_collections` says the follows and followers are
hidden. Lists page by the `Link` header (`rel="next"` carries `max_id`). Rate limits come as
`X-RateLimit-Limit`, `-Remaining` and `-Reset`, the last an ISO 8601 time. A Status has its
`account`, `reblog` (the boosted status, for a boost), `in_reply_to_account_id` and
`media_attachments`; a MediaAttachment its `id`, `type` (`image`, `gifv`, `video`, `audio`,
`unknown`), `url`, `description` (the alt text) and `meta.original` (`width`, `height`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from kindred.adapters.atproto_values import parse_count, parse_text, parse_url
from kindred.core.accounts import Account, AccountProfile
from kindred.core.media import MAX_ALT, MediaImage
from kindred.core.sources import split_acct

MAX_RESET_WAIT = 3600.0  # seconds: a reset named further ahead is left to the queue's backoff
_ID = re.compile(r"[0-9A-Za-z]{1,40}")  # an id rides in a URL path: nothing else gets in
_MAX_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
# Why an account is not read, in the words the results count skips by.
SUSPENDED, MOVED, HIDDEN, REMOTE = "suspended", "moved", "hidden", "remote"
MAX_ATTACHMENTS = 20  # a status's attachments read (Mastodon allows 4; some servers more)
# The file types of an image attachment's URL (Mastodon names its files by their type).
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
               "webp": "image/webp", "gif": "image/gif"}  # fmt: skip
NOT_IMAGES = frozenset({"gifv", "video", "audio"})  # skipped, counted by their type


@dataclass(frozen=True)
class MastodonAccount:
    """An Account entity as checked: `acct` is always `username@domain`."""

    id: str
    acct: str
    display_name: str
    followers_count: int
    following_count: int
    avatar: str | None
    unreadable: str | None  # SUSPENDED, MOVED or HIDDEN: why its lists cannot be read
    moved_to: str | None = None  # the acct it moved to

    @property
    def domain(self) -> str:
        return self.acct.rpartition("@")[2]

    def as_account(self) -> Account:
        return Account(self.id, self.acct)

    def as_profile(self) -> AccountProfile:
        return AccountProfile(
            id=self.id,
            handle=self.acct,
            display_name=self.display_name,
            followers_count=self.followers_count,
            follows_count=self.following_count,
            avatar=self.avatar,
        )


def parse_id(value: Any) -> str | None:
    """The id, when it is a string of up to 40 letters and digits (it goes into URL paths)."""
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def parse_account(raw: Any, home: str) -> MastodonAccount | str:
    """The Account entity as served by `home` (its domain completes a local `acct`), or what
    is wrong with it."""
    if not isinstance(raw, dict):
        return f"an account that is a {type(raw).__name__}, not an object"
    account_id = parse_id(raw.get("id"))
    if account_id is None:
        return f"an account whose id {str(raw.get('id'))[:80]!r} is not an id"
    acct = raw.get("acct")
    named = split_acct(acct if "@" in acct else f"{acct}@{home}") if isinstance(acct, str) else None
    if named is None:
        return f"account {account_id}'s acct {str(acct)[:80]!r} is not user@domain"
    counts = {key: parse_count(raw.get(key)) for key in ("followers_count", "following_count")}
    for key, count in counts.items():
        if count is None:
            return f"account {account_id}'s {key} {str(raw.get(key))[:40]!r} is not a count"
    moved = raw.get("moved")
    moved_acct = moved.get("acct") if isinstance(moved, dict) else None
    return MastodonAccount(
        id=account_id,
        acct=f"{named[0]}@{named[1]}",
        display_name=parse_text(raw.get("display_name")),
        followers_count=counts["followers_count"] or 0,
        following_count=counts["following_count"] or 0,
        avatar=parse_url(raw.get("avatar")),
        unreadable=_unreadable(raw),
        moved_to=moved_acct if isinstance(moved_acct, str) else None,
    )


def _unreadable(raw: Mapping[str, Any]) -> str | None:
    if raw.get("suspended") is True:
        return SUSPENDED
    if raw.get("moved"):
        return MOVED
    if raw.get("hide_collections") is True:
        return HIDDEN
    return None


def next_max_id(link: str) -> str | None:
    """The `max_id` of the `Link` header's rel="next" URL, or None (the last page).

    Only that value is taken, never the URL itself: a server cannot send the next call
    anywhere else. Raises ValueError for a max_id not of an id's characters.
    """
    for entry in requests.utils.parse_header_links(link) if link else ():
        if "next" not in str(entry.get("rel", "")).split():
            continue
        values = parse_qs(urlsplit(entry.get("url", "")).query).get("max_id", [])
        if not values:
            return None
        if not _MAX_ID.fullmatch(values[0]):
            raise ValueError(f"a next page's max_id {values[0][:80]!r} is not an id")
        return values[0]
    return None


def reset_at(headers: Mapping[str, str], now: float) -> float | None:
    """The epoch second the window reopens: `X-RateLimit-Reset` (ISO 8601; a bare number is
    read as epoch seconds, as some servers send), else `Retry-After` seconds; None when
    neither names a time within MAX_RESET_WAIT."""
    reset = str(headers.get("x-ratelimit-reset", "")).strip()
    retry_after = str(headers.get("retry-after", "")).strip()
    at: float | None = None
    if reset.replace(".", "", 1).isdigit() and len(reset) < 20:
        at = float(reset)
    elif reset and len(reset) < 40:
        try:
            moment = datetime.fromisoformat(reset)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            at = moment.timestamp()
    if at is None and retry_after.isdigit() and len(retry_after) < 20:
        at = now + int(retry_after)
    return at if at is not None and at <= now + MAX_RESET_WAIT else None


def account_key(account: MastodonAccount) -> str:
    """How a collection names a Mastodon account: `{host}/{id}` (ids are each server's own)."""
    return f"{account.domain}/{account.id}"


def status_images(
    raw: Any, actor: str, home: str, replies: bool
) -> tuple[list[MediaImage], list[str]]:
    """The image attachments of a Status that is the account `actor`'s own (its id on
    `home`), and why anything was left out: `repost` (a boost, or another's status),
    `reply` (to another account, when replies are not wanted: a thread of its own stays, as
    Mastodon's `exclude_replies` keeps it), `gifv`, `video`, `audio`, `unknown_media`,
    `invalid_image` (no id, no http(s) URL, or not an image file type), `malformed`."""
    if not isinstance(raw, dict):
        return [], ["malformed"]
    account = parse_account(raw.get("account"), home)
    if raw.get("reblog") is not None or isinstance(account, str) or account.id != actor:
        return [], ["repost"]
    answered = raw.get("in_reply_to_account_id")
    if not replies and raw.get("in_reply_to_id") is not None and answered != actor:
        return [], ["reply"]
    uri, created = raw.get("uri"), raw.get("created_at")
    attachments = raw.get("media_attachments")
    if not (isinstance(uri, str) and isinstance(created, str) and isinstance(attachments, list)):
        return [], ["malformed"]
    images: list[MediaImage] = []
    left_out = ["over_limit"] * max(0, len(attachments) - MAX_ATTACHMENTS)
    for attachment in attachments[:MAX_ATTACHMENTS]:
        kind = attachment.get("type") if isinstance(attachment, dict) else None
        if kind != "image":
            left_out.append(kind if kind in NOT_IMAGES else "unknown_media")
            continue
        image = _image(attachment, uri[:500], created[:40], account)
        if image is None:
            left_out.append("invalid_image")
        else:
            images.append(image)
    return images, left_out


def _image(
    raw: dict[str, Any], uri: str, created: str, account: MastodonAccount
) -> MediaImage | None:
    media_id, url = parse_id(raw.get("id")), parse_url(raw.get("url"))
    if media_id is None or url is None:
        return None
    mime = IMAGE_TYPES.get(urlsplit(url).path.rpartition(".")[2].lower())
    if mime is None:
        return None
    meta = raw.get("meta")
    original = meta.get("original") if isinstance(meta, dict) else None
    size = original if isinstance(original, dict) else {}
    width, height = parse_count(size.get("width")), parse_count(size.get("height"))
    alt = raw.get("description")
    return MediaImage(
        cid="", mime=mime, size=0, post_uri=uri, created_at=created, did=account_key(account),
        handle=account.acct, alt=alt[:MAX_ALT] if isinstance(alt, str) else "",
        width=width or None, height=height or None, media_id=media_id, url=url,
    )  # fmt: skip
