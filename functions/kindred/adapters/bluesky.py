"""The Bluesky AppView dialect: Bluesky's public API and the local graph server alike.

One table maps HTTP answers to kindred's errors; every request counts as one upstream call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import requests

from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, NotFound, RetryLater
from kindred.core.rate_window import RateWindow
from kindred.ports import Account, AccountProfile, Page

# Bluesky's `error` names for accounts that exist but cannot be read, and the skip reason.
UNREADABLE = {
    "AccountTakedown": "suspended",
    "AccountDeactivated": "deactivated",
    "BlockedActor": "private",
    "BlockedByActor": "private",
    "RepoTakendown": "suspended",
    "RepoDeactivated": "deactivated",
}


class BlueskyGraph:
    """A GraphSource over `{base_url}/xrpc/...`."""

    max_page = 100
    max_batch = 25

    def __init__(
        self,
        base_url: str,
        meter: Meter,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        window: RateWindow | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.meter = meter
        self.session = session or requests.Session()
        self.timeout = timeout
        self.window = window or RateWindow()

    def profile(self, actor: str) -> AccountProfile:
        return _profile(self._get("app.bsky.actor.getProfile", {"actor": actor}))

    def profiles(self, actors: Sequence[str]) -> list[AccountProfile]:
        body = self._get("app.bsky.actor.getProfiles", {"actors": list(actors)})
        return [_profile(raw) for raw in _field(body, "profiles", list)]

    def followers(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page("app.bsky.graph.getFollowers", "followers", actor, cursor, limit)

    def follows(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page("app.bsky.graph.getFollows", "follows", actor, cursor, limit)

    def _page(self, method: str, key: str, actor: str, cursor: str | None, limit: int) -> Page:
        params: dict[str, Any] = {"actor": actor, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = self._get(method, params)
        accounts = tuple(
            Account(_field(raw, "did", str), _field(raw, "handle", str))
            for raw in _field(body, key, list)
        )
        next_cursor = body.get("cursor")
        if next_cursor is not None and not isinstance(next_cursor, str):
            raise RetryLater(f"{method}: cursor is {type(next_cursor).__name__}, not a string")
        return Page(accounts, next_cursor or None)

    def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        reopens = self.window.closed_until(time.time())
        if reopens is not None:
            raise RetryLater(
                f"{method}: not called, a 429 heard here holds until {reopens:.0f}", reopens
            )
        self.meter.upstream_calls += 1
        try:
            response = self.session.get(
                f"{self.base_url}/xrpc/{method}", params=params, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise RetryLater(f"{method}: {type(error).__name__}: {error}") from error
        try:
            return _answer(method, params, response)
        except RetryLater as error:
            if error.retry_at is not None:
                self.window.close_until(error.retry_at)
            raise


def _answer(method: str, params: dict[str, Any], response: requests.Response) -> dict[str, Any]:
    """The body of a 200, or the error that says what to do about any other answer."""
    status = response.status_code
    if status == 200:
        try:
            body = response.json()
        except (ValueError, json.JSONDecodeError) as error:
            raise RetryLater(f"{method}: malformed body ({error})") from error
        if not isinstance(body, dict):
            raise RetryLater(f"{method}: body is {type(body).__name__}, not an object")
        return body
    if status == 429:
        raise RetryLater(f"{method}: rate limited", retry_at=_reset_at(response))
    if status >= 500 or status == 408:
        raise RetryLater(f"{method}: upstream answered {status}")
    name, message = _error_body(response)
    actor = params.get("actor", params.get("actors"))
    if name in UNREADABLE:
        raise FailedForGood(f"{method}({actor}): {name}: {message}", UNREADABLE[name])
    if status in (400, 404) and ("not found" in message.lower() or name == "NotFound"):
        raise NotFound(f"{method}: account {actor!r} not found upstream")
    if status in (401, 403):
        raise FailedForGood(f"{method}({actor}): {status} {message}", "private")
    raise FailedForGood(f"{method}({actor}): {status} {name}: {message}", "rejected")


def _reset_at(response: requests.Response) -> float | None:
    """The epoch second the upstream's window resets (`ratelimit-reset`), if it names one."""
    reset = response.headers.get("ratelimit-reset")
    if reset and reset.replace(".", "", 1).isdigit():
        return float(reset)
    retry_after = response.headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        return time.time() + int(retry_after)
    return None


def _error_body(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
        return str(body.get("error", "")), str(body.get("message", ""))
    except (ValueError, AttributeError):
        return "", response.text[:200]


def _field(raw: Any, key: str, kind: type) -> Any:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, kind):
        raise RetryLater(f"malformed body: {key!r} is missing or not a {kind.__name__}")
    return value


def _profile(raw: Any) -> AccountProfile:
    return AccountProfile(
        id=_field(raw, "did", str),
        handle=_field(raw, "handle", str),
        display_name=raw.get("displayName") or "",
        followers_count=int(raw.get("followersCount") or 0),
        follows_count=int(raw.get("followsCount") or 0),
        avatar=raw.get("avatar"),
    )
