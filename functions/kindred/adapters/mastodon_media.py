"""Media in Mastodon's dialect: an account's `only_media` statuses, and an attachment's file.

Every request goes through the graph adapter's pinned connection (`MastodonGraph.call`: the
host resolved once, each address checked, the connection made to it; only the configured
local host on loopback), counted as one upstream call, a 429's reset honoured. So does an
attachment's file, on the home server or on a media host it names: a public host, never a
private or loopback address. What the statuses say is parsed once (`mastodon_values`):
- `GET /api/v1/accounts/:id/statuses?only_media=true&exclude_reblogs=true`, up to 40 a page,
  `exclude_replies=true` when replies are not wanted; the `Link` header's next `max_id` is the
  cursor (only that value is read from it);
- boosts and others' statuses are left out (`repost`), as are replies to others when asked;
  video, gifv and audio attachments are counted by their type and not fetched.
`blob` returns the bytes of a 200 only, up to `max_bytes`, once its Content-Length and
Content-Type agree with the attachment; the caller checks the bytes (`core.image_check`).
"""

from __future__ import annotations

import time
from typing import Any

import urllib3

from kindred.adapters.bluesky import _error_body
from kindred.adapters.mastodon import MastodonGraph, next_cursor
from kindred.adapters.mastodon_values import (
    REMOTE,
    SUSPENDED,
    account_key,
    parse_account,
    parse_id,
    reset_at,
    status_images,
)
from kindred.core.errors import FailedForGood, NotFound, RetryLater
from kindred.core.media import MAX_MASTODON_IMAGE_BYTES, MediaImage, MediaPage
from kindred.core.sources import split_acct

# A file served as one of these is taken as the type its URL says (object stores do this).
UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
MEDIA_ERRORS = {401: "forbidden", 403: "forbidden", 404: "blob_not_found", 410: "blob_not_found"}


class MastodonMedia:
    """A MediaSource over a MastodonGraph's pinned connections, meter and rate window."""

    max_page = 40  # GET /api/v1/accounts/:id/statuses: limit at most 40
    max_bytes = MAX_MASTODON_IMAGE_BYTES
    looks_up = True  # statuses are read by the account's id on its server

    def __init__(self, graph: MastodonGraph):
        self.graph = graph

    def account_id(self, account: str) -> str:
        """`{host}/{id}`, the id of `user@host` on its home server (one call:
        accounts/lookup), what `media_page` takes and the collection names it by. Raises
        NotFound for an unknown account, FailedForGood `remote` for one of another server
        (an analysis's similar accounts may be: read on their own server, later), `suspended`
        (its statuses are gone), `malformed`. A moved account, or one that hides its network,
        still shows its statuses: their ids are given."""
        named = split_acct(account)
        if named is None:
            raise NotFound(f"{account[:80]!r} is not a Mastodon account, user@host")
        if named[1] != self.graph.host:
            raise FailedForGood(f"{account} is not an account of {self.graph.host}", REMOTE)
        body = self.graph._get("/api/v1/accounts/lookup", {"acct": named[0]})
        found = parse_account(body, self.graph.host)
        if isinstance(found, str):
            raise FailedForGood(f"accounts/lookup({account}): {found}", "malformed")
        if found.domain != self.graph.host:
            raise FailedForGood(f"accounts/lookup({account}) gave {found.acct}", REMOTE)
        if found.unreadable == SUSPENDED:
            raise FailedForGood(f"{found.acct} is suspended", SUSPENDED)
        return account_key(found)

    def media_page(self, actor: str, cursor: str | None, limit: int, replies: bool) -> MediaPage:
        """One page of statuses of the account `{host}/{id}` (`account_id`)."""
        host, _, account_id = actor.rpartition("/")
        if host != self.graph.host or parse_id(account_id) is None:
            raise FailedForGood(f"statuses: {actor[:80]!r} is no account of {self.graph.host}",
                                "malformed")  # fmt: skip
        actor = account_id
        params: dict[str, Any] = {"only_media": "true", "exclude_reblogs": "true", "limit": limit}
        params |= {} if replies else {"exclude_replies": "true"}
        params |= {"max_id": cursor} if cursor else {}
        body, link = self.graph._get_with_link(f"/api/v1/accounts/{actor}/statuses", params)
        if not isinstance(body, list):
            raise RetryLater(f"statuses: body is {type(body).__name__}, not a list")
        images: list[MediaImage] = []
        dropped: dict[str, int] = {"over_limit": max(0, len(body) - limit)}
        for raw in body[:limit]:
            kept, why = status_images(raw, actor, self.graph.host, replies)
            images.extend(kept)
            for reason in why:
                dropped[reason] = dropped.get(reason, 0) + 1
        cursor_next = next_cursor("statuses", link)
        kept_reasons = {reason: n for reason, n in dropped.items() if n}
        return MediaPage(tuple(images), cursor_next, min(len(body), limit), kept_reasons)

    def blob(self, image: MediaImage, max_bytes: int = MAX_MASTODON_IMAGE_BYTES) -> bytes:
        """The attachment's file (unchecked but for its length and type: the caller decodes
        it). Raises FailedForGood `blob_not_found` (404, 410), `forbidden` (401, 403),
        `too_large`, `wrong_type` (served as another image type), `rejected`, and
        `host_not_allowed` for a URL whose host may not be reached."""
        what = f"media {image.media_id}"
        graph = self.graph
        with graph.window_held():
            response, deadline = graph.call(image.url, what, f"{image.mime}, */*;q=0.5")
            declared = str(response.headers.get("content-length", ""))
            if response.status == 200 and declared.isdigit() and int(declared) > max_bytes:
                response.close()
                raise FailedForGood(f"{what}: a file of {declared} bytes", "too_large")
            data = graph.body(what, response, deadline, max_bytes)
            if response.status != 200:
                raise _media_error(what, response, data)
        if declared.isdigit() and len(data) != int(declared):
            raise RetryLater(f"{what}: {len(data)} bytes of the {declared} its header says")
        served = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
        if served.startswith("image/") and served != image.mime:
            raise FailedForGood(f"{what}: served as {served}, its URL says {image.mime}",
                                "wrong_type")  # fmt: skip
        if served not in UNTYPED and not served.startswith("image/"):
            raise RetryLater(f"{what}: an answer of type {served[:60]!r}, not its image")
        return data


def _media_error(what: str, response: urllib3.BaseHTTPResponse, data: bytes) -> Exception:
    """The error of an answer to a file request other than a 200."""
    status = response.status
    if status == 429:
        return RetryLater(f"{what}: rate limited", retry_at=reset_at(response.headers, time.time()))
    if status >= 500 or status == 408:
        return RetryLater(f"{what}: upstream answered {status}")
    said, _ = _error_body(data)
    reason = MEDIA_ERRORS.get(status, "redirected" if 300 <= status < 400 else "rejected")
    return FailedForGood(f"{what}: {status} {said}".rstrip(), reason)
