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
from kindred_infra.graph_server.profiles import ProfileMaker, avatar_svg

Params = Mapping[str, Sequence[str]]
Response = dict[str, Any]

GET_FOLLOWERS = "app.bsky.graph.getFollowers"
GET_FOLLOWS = "app.bsky.graph.getFollows"
GET_PROFILE = "app.bsky.actor.getProfile"
GET_PROFILES = "app.bsky.actor.getProfiles"
METHODS = (GET_FOLLOWERS, GET_FOLLOWS, GET_PROFILE, GET_PROFILES)
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
    """Answers the four AppView methods from a graph; raises XrpcError for bad requests."""

    def __init__(self, graph: Graph, identity: Identity) -> None:
        self.graph, self.identity = graph, identity
        self.profiles = ProfileMaker(identity)
        self._methods: dict[str, Callable[[Params, str], Response]] = {
            GET_FOLLOWERS: self.get_followers,
            GET_FOLLOWS: self.get_follows,
            GET_PROFILE: self.get_profile,
            GET_PROFILES: self.get_profiles,
        }

    def call(self, method: str, params: Params, base_url: str) -> Response:
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
