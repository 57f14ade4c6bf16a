"""The XRPC methods, as plain functions of (params, base_url) -> response dict.

No HTTP here: the handler in `server.py` maps requests onto `GraphApi.call`, and unit tests
call it directly. Errors are `XrpcError`s that carry Bluesky's status, error name and message,
so a client written against this server handles the real AppView the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kindred_infra.graph_server.cursor import BadCursor, decode_cursor, encode_cursor
from kindred_infra.graph_server.graph import Graph
from kindred_infra.graph_server.identity import Identity, is_actor_syntax
from kindred_infra.graph_server.images import ImageMaker
from kindred_infra.graph_server.mastodon import MastodonApi
from kindred_infra.graph_server.media import FILTERS, Media, MediaError, RawBlob
from kindred_infra.graph_server.profiles import ProfileMaker, avatar_svg

Params = Mapping[str, Sequence[str]]
Response = dict[str, Any]

GET_FOLLOWERS = "app.bsky.graph.getFollowers"
GET_FOLLOWS = "app.bsky.graph.getFollows"
GET_PROFILE = "app.bsky.actor.getProfile"
GET_PROFILES = "app.bsky.actor.getProfiles"
GET_AUTHOR_FEED = "app.bsky.feed.getAuthorFeed"
GET_BLOB = "com.atproto.sync.getBlob"  # a PDS method: its own rate limit (service.py)
METHODS = (GET_FOLLOWERS, GET_FOLLOWS, GET_PROFILE, GET_PROFILES)
MEDIA_METHODS = (GET_AUTHOR_FEED, GET_BLOB)  # with --media only
DEFAULT_LIMIT, MAX_LIMIT, MAX_PROFILES = 50, 100, 25
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")


class XrpcError(Exception):
    """An XRPC error answer: HTTP status plus Bluesky's `{"error", "message"}` body."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message

    def body(self) -> Response:
        return {"error": self.error, "message": self.message}


def invalid(message: str) -> XrpcError:
    return XrpcError(400, "InvalidRequest", message)


class GraphApi:
    """Answers the four AppView methods from a graph, and with `images` (--media) the author
    feed and getBlob; raises XrpcError for bad requests. `mastodon` answers the same graph in
    Mastodon's dialect (with `states`, some of its accounts suspended, moved or hidden)."""

    def __init__(
        self,
        graph: Graph,
        identity: Identity,
        images: ImageMaker | None = None,
        states: bool = False,
    ) -> None:
        self.graph, self.identity = graph, identity
        self.profiles = ProfileMaker(identity)
        self.media = None if images is None else Media(graph, identity, self.profiles, images)
        self.mastodon = MastodonApi(graph, identity, self.profiles, self.media, states)
        self._methods: dict[str, Callable[[Params, str], Response | RawBlob]] = {
            GET_FOLLOWERS: self.get_followers,
            GET_FOLLOWS: self.get_follows,
            GET_PROFILE: self.get_profile,
            GET_PROFILES: self.get_profiles,
        }
        if self.media is not None:
            self._methods[GET_AUTHOR_FEED] = self.get_author_feed
            self._methods[GET_BLOB] = self.get_blob
        self.methods = tuple(self._methods)

    def call(self, method: str, params: Params, base_url: str) -> Response | RawBlob:
        """Run one method; raises XrpcError (404 MethodNotImplemented for unknown methods)."""
        handler = self._methods.get(method)
        if handler is None:
            raise XrpcError(404, "MethodNotImplemented", "Method Not Implemented")
        return handler(params, base_url)

    def get_followers(self, params: Params, base_url: str) -> Response:
        return self._page(GET_FOLLOWERS, "followers", params, base_url)

    def get_follows(self, params: Params, base_url: str) -> Response:
        return self._page(GET_FOLLOWS, "follows", params, base_url)

    def get_profile(self, params: Params, base_url: str) -> Response:
        actor = _actor(_required(params, "actor"), "actor")
        index = self._index(actor)
        if index is None:
            raise invalid("Profile not found")
        return self._detailed(index, base_url)

    def get_profiles(self, params: Params, base_url: str) -> Response:
        """Up to 25 actors; unknown ones are left out, as Bluesky does."""
        actors = [a for a in params.get("actors", ()) if a]
        if not actors:
            raise invalid('Error: Params must have the property "actors"')
        if len(actors) > MAX_PROFILES:
            raise invalid(f"Error: actors must not have more than {MAX_PROFILES} elements")
        indices = [self._index(_actor(a, f"actors/{i}")) for i, a in enumerate(actors)]
        found = dict.fromkeys(i for i in indices if i is not None)  # dedupe, keep order
        return {"profiles": [self._detailed(i, base_url) for i in found]}

    def get_author_feed(self, params: Params, base_url: str) -> Response:
        assert self.media is not None
        actor = _actor(_required(params, "actor"), "actor")
        limit = _limit(params)
        filter_ = _first(params, "filter") or FILTERS[0]
        if filter_ not in FILTERS:
            raise invalid(f"Error: filter must be one of {', '.join(FILTERS)}")
        index = self._index(actor)
        if index is None:
            raise invalid("Profile not found")
        try:
            return self.media.author_feed(index, filter_, limit, _first(params, "cursor"), base_url)
        except BadCursor as exc:
            raise invalid(str(exc)) from exc

    def get_blob(self, params: Params, base_url: str) -> RawBlob:
        assert self.media is not None
        did, cid = _required(params, "did"), _required(params, "cid")
        if not (did.startswith("did:") and is_actor_syntax(did)):
            raise invalid("Error: did must be a valid did")
        try:
            return self.media.blob(did, cid)
        except MediaError as exc:
            raise XrpcError(exc.status, exc.error, exc.message) from exc

    def avatar(self, did: str) -> bytes | None:
        """The SVG avatar of an account given by DID, or None when there is no such account."""
        index = self._index(did) if did.startswith("did:") else None
        if index is None:
            return None
        return avatar_svg(self.identity.dataset, int(self.graph.ids[index]))

    def _page(self, method: str, key: str, params: Params, base_url: str) -> Response:
        actor = _actor(_required(params, "actor"), "actor")
        limit = _limit(params)
        index = self._index(actor)
        if index is None:
            raise invalid(f"Actor not found: {actor}")
        account = int(self.graph.ids[index])
        binding = f"{self.identity.dataset}|{method}|{account}"
        offset = _offset(binding, _first(params, "cursor"))
        members = self.graph.followers(index) if key == "followers" else self.graph.follows(index)
        page = self.graph.ids[members[offset : offset + limit]].tolist()
        answer: Response = {
            "subject": self.profiles.basic(account, base_url),
            key: [self.profiles.basic(n, base_url) for n in page],
        }
        if offset + limit < members.size:
            answer["cursor"] = encode_cursor(binding, offset + limit)
        return answer

    def _index(self, actor: str) -> int | None:
        account = self.identity.resolve(actor)
        return None if account is None else self.graph.index_of(account)

    def _detailed(self, index: int, base_url: str) -> Response:
        account = int(self.graph.ids[index])
        followers, follows = self.graph.followers_count(index), self.graph.follows_count(index)
        return self.profiles.detailed(account, followers, follows, base_url)


def _first(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _required(params: Params, name: str) -> str:
    value = _first(params, name)
    if not value:
        raise invalid(f'Error: Params must have the property "{name}"')
    return value


def _actor(actor: str, path: str) -> str:
    if not is_actor_syntax(actor):
        raise invalid(f"Error: {path} must be a valid did or a handle")
    return actor


def _limit(params: Params) -> int:
    raw = _first(params, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _INTEGER.fullmatch(raw.strip()):
        raise invalid("Error: limit must be an integer")
    limit = int(raw)
    if limit < 1:
        raise invalid("Error: limit can not be less than 1")
    if limit > MAX_LIMIT:
        raise invalid(f"Error: limit can not be greater than {MAX_LIMIT}")
    return limit


def _offset(binding: str, cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return decode_cursor(binding, cursor)
    except BadCursor as exc:
        raise invalid(str(exc)) from exc
