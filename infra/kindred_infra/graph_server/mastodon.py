"""Mastodon's dialect of the same graph: `/api/v1/accounts/...`, as plain functions of
(route, params, base_url) -> Answer, like `api.py` is for the AppView's.

Shapes follow Mastodon's API reference (docs.joinmastodon.org: methods/accounts,
entities/Account, Status, MediaAttachment, api/guidelines#pagination):
- the graph's account N is `uN` on the home server `{dataset}.test` (`acct` is `uN`, a local
  account's); its id is a decimal number that hides N (`Identity.mastodon_id`);
- followers and following come newest first in pages of `limit` (default 40, at most 80;
  more is cut to 80, as Mastodon does), in the same order as the AppView dialect's pages, and
  the `Link` header carries the next page (`max_id`) when this one is full and the previous
  (`min_id`); the ids in it are follow ids, numbers private to each list;
- `only_media` statuses (with --media) are the account's own posts with images, newest first
  (at most 40 a page), each image a `media_attachments` entry of type `image` whose `url` is
  a file of this server's, named as Mastodon names them
  (`/system/media_attachments/files/{id in groups of 3}/original/{name}.{ext}`), served with
  its type and length and no content hash (`media_file`; counted as `mastodon.media`);
- errors are `{"error": "..."}`: 404 `Record not found` for an unknown id or acct, 410 for
  the lists and statuses of a suspended account, 422 for more than 40 ids at once.

With `states` (--account-states) a few accounts are suspended (`suspended: true`, left out of
every list), moved (`moved`: the account they moved to) or hide their network
(`hide_collections: true`; their followers and following are empty lists), a pure function
of (dataset, account), so tests know which.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np

from kindred_infra.graph_server.graph import Graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.media import Media, RawBlob, iso
from kindred_infra.graph_server.posts import AccountPosts
from kindred_infra.graph_server.profiles import ProfileMaker

Params = Mapping[str, Sequence[str]]
LISTS_DEFAULT, LISTS_MAX = 40, 80
STATUSES_DEFAULT, STATUSES_MAX = 20, 40
MAX_IDS = 40  # GET /api/v1/accounts?id[]=...: Mastodon's DEFAULT_ACCOUNTS_LIMIT
NOT_FOUND = "Record not found"
ACTIVE, SUSPENDED, MOVED, HIDDEN = "active", "suspended", "moved", "hidden"
ROUTES = ("lookup", "accounts", "account", "followers", "following", "statuses")
_ROUTE = re.compile(
    r"/api/v1/accounts(?:/(lookup)|/([0-9A-Za-z]{1,40})(?:/(followers|following|statuses))?)?"
)
_NUMBER = re.compile(r"[0-9]{1,19}")
MEDIA_PREFIX = "/system/media_attachments/files/"
MEDIA_METHOD = "mastodon.media"  # its name in /_stats and for fault draws
_MEDIA = re.compile(
    re.escape(MEDIA_PREFIX) + r"((?:[0-9]{3}/){5}[0-9]{3})/(original|small)/([0-9a-f]{16})\.\w+"
)
_EXTENSIONS = {"image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp"}
_LIST_BASE = 1 << 24  # follow ids of a list: its own base, then one per member


@dataclass(frozen=True)
class Route:
    """A request's route and the account it names (an id or, for `lookup`, an acct)."""

    name: str
    key: str

    @property
    def method(self) -> str:
        return f"mastodon.{self.name}"  # its name in /_stats and for fault draws


@dataclass(frozen=True)
class Answer:
    body: Any  # an entity or a list of them
    link: str = ""  # the `Link` header, if any


class MastodonError(Exception):
    """An error answer: HTTP status plus Mastodon's `{"error": ...}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message

    def body(self) -> dict[str, str]:
        return {"error": self.message}


def route(path: str) -> Route | None:
    """The route of an `/api/v1/accounts...` path, or None for any other."""
    match = _ROUTE.fullmatch(path)
    if match is None:
        return None
    if match.group(1):
        return Route("lookup", "")
    if match.group(2) is None:
        return Route("accounts", "")
    return Route(match.group(3) or "account", match.group(2))


class MastodonApi:
    """Answers Mastodon's account routes from a graph; raises MastodonError."""

    def __init__(self, graph: Graph, identity: Identity, profiles: ProfileMaker,
                 media: Media | None = None, states: bool = False) -> None:  # fmt: skip
        self.graph, self.identity, self.profiles = graph, identity, profiles
        self.media, self.states = media, states
        self._routes: dict[str, Callable[[Route, Params, str], Answer]] = {
            "lookup": self._lookup, "accounts": self._accounts, "account": self._account,
            "followers": self._list, "following": self._list, "statuses": self._statuses,
        }  # fmt: skip

    def call(self, where: Route, params: Params, base_url: str) -> Answer:
        return self._routes[where.name](where, params, base_url)

    def state(self, account: int) -> str:
        """ACTIVE, SUSPENDED (3 in 1,000), MOVED (3 in 1,000) or HIDDEN (1 in 100), with states."""
        if not self.states:
            return ACTIVE
        draw = _digest("state", self.identity.dataset, account) % 1000
        return SUSPENDED if draw < 3 else MOVED if draw < 6 else HIDDEN if draw < 16 else ACTIVE

    def moved_to(self, account: int) -> int:
        """The account a MOVED one moved to: another of the graph's, never moved itself."""
        pick = _digest("moved", self.identity.dataset, account)
        for step in range(self.graph.nodes):
            other = int(self.graph.ids[(pick + step) % self.graph.nodes])
            if other != account and self.state(other) == ACTIVE:
                return other
        return account

    def entity(self, index: int, base_url: str, nested: bool = False) -> dict[str, Any]:
        """The Account entity of the graph's account at `index`."""
        number = int(self.graph.ids[index])
        state = self.state(number)
        view = self.profiles.basic(number, base_url)
        posts = self.media.posts_count(index) if self.media is not None else 0
        name, home = self.identity.username(number), f"{base_url}/@{self.identity.username(number)}"
        entity: dict[str, Any] = {
            "id": self.identity.mastodon_id(number), "username": name, "acct": name,
            "display_name": "" if state == SUSPENDED else view["displayName"],
            "locked": False, "bot": False, "discoverable": state != SUSPENDED, "group": False,
            "created_at": view["createdAt"][:10] + "T00:00:00.000Z",
            "note": "" if state == SUSPENDED else f"<p>{self.profiles.description(number)}</p>",
            "url": home, "uri": f"{base_url}/users/{name}",
            "avatar": view["avatar"], "avatar_static": view["avatar"],
            "header": f"{base_url}/headers/original/missing.png",
            "header_static": f"{base_url}/headers/original/missing.png",
            "followers_count": self.graph.followers_count(index),
            "following_count": self.graph.follows_count(index),
            "statuses_count": posts, "last_status_at": None,
            "hide_collections": state == HIDDEN, "noindex": False, "emojis": [], "fields": [],
        }  # fmt: skip
        if state == SUSPENDED:
            entity["suspended"] = True
        if state == MOVED and not nested:
            moved = self.graph.index_of(self.moved_to(number))
            entity["moved"] = None if moved is None else self.entity(moved, base_url, True)
        return entity

    # The routes

    def _lookup(self, where: Route, params: Params, base_url: str) -> Answer:
        account = self.identity.resolve_acct(_first(params, "acct"))
        return Answer(self.entity(self._known(account), base_url))

    def _accounts(self, where: Route, params: Params, base_url: str) -> Answer:
        """Up to 40 ids; unknown ones are left out, as Mastodon does."""
        ids = list(dict.fromkeys(params.get("id[]", ())))
        if len(ids) > MAX_IDS:
            raise MastodonError(422, f"Validation failed: at most {MAX_IDS} ids")
        found = [self._by_id(i) for i in ids]
        return Answer([self.entity(i, base_url) for i in found if i is not None])

    def _account(self, where: Route, params: Params, base_url: str) -> Answer:
        index = self._by_id(where.key)
        if index is None:
            raise MastodonError(404, NOT_FOUND)
        return Answer(self.entity(index, base_url))

    def _list(self, where: Route, params: Params, base_url: str) -> Answer:
        index = self._readable(where.key)
        members = self._members(index, where.name)
        if self.state(int(self.graph.ids[index])) == HIDDEN:
            members = members[:0]
        n, base = int(members.size), self._list_base(index, where.name)
        limit = _limit(params, LISTS_DEFAULT, LISTS_MAX)
        start, stop = _window(params, limit, lambda x: min(n, max(0, base + n - x)))
        page = [self.entity(int(m), base_url) for m in members[start:stop]]
        ids = [base + n - i for i in range(start, stop)]
        path = f"{base_url}/api/v1/accounts/{where.key}/{where.name}"
        return Answer(page, _link(path, {"limit": limit}, ids, len(page) == limit))

    def _statuses(self, where: Route, params: Params, base_url: str) -> Answer:
        index = self._readable(where.key)
        if _first(params, "only_media").lower() not in ("true", "1"):
            raise MastodonError(422, "this local stand-in serves only_media=true statuses")
        if self.media is None:  # no --media: nobody has posted
            return Answer([])
        replies = _first(params, "exclude_replies").lower() not in ("true", "1")
        posts, selected = self.media.with_images(index, replies)
        ids = status_ids(posts.times[selected])
        limit = _limit(params, STATUSES_DEFAULT, STATUSES_MAX)
        start, stop = _window(params, limit, lambda x: int(np.count_nonzero(ids > x)))
        page = [self._status(posts, int(p), base_url) for p in selected[start:stop]]
        path = f"{base_url}/api/v1/accounts/{where.key}/statuses"
        keep: dict[str, Any] = {"limit": limit, "only_media": "true"}
        if not replies:
            keep["exclude_replies"] = "true"
        return Answer(page, _link(path, keep, ids[start:stop].tolist(), len(page) == limit))

    def _status(self, posts: AccountPosts, p: int, base_url: str) -> dict[str, Any]:
        assert self.media is not None
        micros = int(posts.times[p])
        status_id = str(status_ids(posts.times[p : p + 1])[0])
        author = self.entity(posts.index, base_url)
        parent = self.media.replied(posts, p)
        reply_id = reply_account = None
        if parent is not None:
            reply_id = str(status_ids(parent[0].times[parent[1] : parent[1] + 1])[0])
            reply_account = self.identity.mastodon_id(parent[0].account)
        key = int(posts.keys[p])
        return {
            "id": status_id, "created_at": iso(micros), "in_reply_to_id": reply_id,
            "in_reply_to_account_id": reply_account, "sensitive": False, "spoiler_text": "",
            "visibility": "public", "language": "en",
            "uri": f"{author['uri']}/statuses/{status_id}", "url": f"{author['url']}/{status_id}",
            "replies_count": key >> 20 & 3, "reblogs_count": key >> 22 & 7,
            "favourites_count": key >> 25 & 31, "edited_at": None,
            "content": f"<p>{self.media.text(posts, p)}</p>", "reblog": None, "account": author,
            "media_attachments": [
                {"id": str(int(status_id) * 4 + slot), "type": "image",
                 "url": media_url(base_url, author["id"], int(status_id) * 4 + slot, blob.mime),
                 "preview_url": media_url(base_url, author["id"], int(status_id) * 4 + slot,
                                          blob.mime, "small"),
                 "remote_url": None, "description": alt or None, "blurhash": None,
                 "meta": {"original": {"width": blob.width, "height": blob.height,
                                       "size": f"{blob.width}x{blob.height}",
                                       "aspect": blob.width / blob.height}}}
                for slot, (blob, alt) in enumerate(self.media.post_images(posts, p))],
            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
        }  # fmt: skip

    def media_file(self, path: str) -> RawBlob:
        """The file of a `media_url` path (its original bytes, `small` too); raises
        MastodonError 404 for a path that names no image of an account that may show it."""
        match = _MEDIA.fullmatch(path)
        index = None if match is None else self._by_id(str(int(match.group(3), 16)))
        if match is None or index is None or self.media is None:
            raise MastodonError(404, NOT_FOUND)
        if self.state(int(self.graph.ids[index])) == SUSPENDED:  # its media are removed
            raise MastodonError(404, NOT_FOUND)
        status_id, slot = divmod(int(match.group(1).replace("/", "")), 4)
        posts = self.media.account_posts(index)
        ids = status_ids(posts.times)
        p = int(np.searchsorted(ids, status_id))
        if p >= ids.size or int(ids[p]) != status_id:
            raise MastodonError(404, NOT_FOUND)
        found = self.media.image(posts, p, slot)
        if found is None:
            raise MastodonError(404, NOT_FOUND)
        return found

    # Helpers

    def _by_id(self, mastodon_id: str) -> int | None:
        account = self.identity.resolve_mastodon_id(mastodon_id)
        return None if account is None else self.graph.index_of(account)

    def _known(self, account: int | None) -> int:
        index = None if account is None else self.graph.index_of(account)
        if index is None:
            raise MastodonError(404, NOT_FOUND)
        return index

    def _readable(self, mastodon_id: str) -> int:
        """The index of an account whose lists may be read; 404 unknown, 410 suspended."""
        index = self._by_id(mastodon_id)
        if index is None:
            raise MastodonError(404, NOT_FOUND)
        if self.state(int(self.graph.ids[index])) == SUSPENDED:
            raise MastodonError(410, "This account is suspended")
        return index

    def _members(self, index: int, name: str) -> np.ndarray:
        """A list's members (graph indices), in the AppView dialect's order; suspended left out."""
        members = self.graph.followers(index) if name == "followers" else self.graph.follows(index)
        if not self.states or not members.size:
            return members
        keep = [self.state(int(n)) != SUSPENDED for n in self.graph.ids[members]]
        return members[np.asarray(keep, dtype=bool)]

    def _list_base(self, index: int, name: str) -> int:
        account = int(self.graph.ids[index])
        return (_digest("list", self.identity.dataset, account, name) % (1 << 36)) * _LIST_BASE


def media_url(base_url: str, account_id: str, attachment: int, mime: str,
              size: str = "original") -> str:  # fmt: skip
    """Where an attachment's file is, as Mastodon names it: its id zero-padded to 18 digits in
    groups of 3, then a file name (here the account's id in hex, so the file can be found
    again; Mastodon's is random) with the type's extension."""
    digits = f"{attachment:018d}"
    groups = "/".join(digits[i : i + 3] for i in range(0, 18, 3))
    name = f"{int(account_id):016x}.{_EXTENSIONS.get(mime, 'bin')}"
    return f"{base_url}{MEDIA_PREFIX}{groups}/{size}/{name}"


def status_ids(micros: np.ndarray) -> np.ndarray:
    """Snowflake-like status ids from post times (ms << 16, then the microseconds): they grow
    with the time, as Mastodon's do, so `max_id` pages go back in time."""
    times = micros.astype(np.int64)
    return ((times // 1000) << 16) | (times % 1000)


def _window(params: Params, limit: int, newer: Callable[[int], int]) -> tuple[int, int]:
    """The slice of a newest-first list that max_id / since_id / min_id and limit select;
    `newer(x)` is how many entries have an id above x."""
    start, stop = 0, newer(-1)
    max_id, since_id, min_id = (_number(params, key) for key in ("max_id", "since_id", "min_id"))
    if max_id is not None:
        start = newer(max_id - 1)  # ids below max_id: past those at or above it
    for bound in (since_id, min_id):
        if bound is not None:
            stop = min(stop, newer(bound))
    if min_id is not None:  # the entries just above min_id: the end of the range
        return max(start, stop - limit), stop
    return start, min(stop, start + limit)


def _link(path: str, keep: dict[str, Any], ids: list[int], full: bool) -> str:
    """Mastodon's `Link`: next (max_id) when the page is full, prev (min_id) when not empty."""
    if not ids:
        return ""
    links = []
    if full:
        links.append(f'<{path}?{urlencode({**keep, "max_id": ids[-1]})}>; rel="next"')
    links.append(f'<{path}?{urlencode({**keep, "min_id": ids[0]})}>; rel="prev"')
    return ", ".join(links)


def _limit(params: Params, default: int, most: int) -> int:
    """Mastodon's limit: the default when absent, at most `most` (more is cut, not refused)."""
    raw = _first(params, "limit").strip()
    if not _NUMBER.fullmatch(raw):
        return default
    return max(1, min(int(raw), most))


def _number(params: Params, name: str) -> int | None:
    raw = _first(params, name)
    if not raw:
        return None
    return int(raw) if _NUMBER.fullmatch(raw) else 0  # Rails reads "abc" as 0: nothing below it


def _first(params: Params, name: str) -> str:
    values = params.get(name)
    return values[0] if values else ""


def _digest(*parts: object) -> int:
    data = "|".join(map(str, ("mastodon", *parts))).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
