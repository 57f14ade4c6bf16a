"""The Bluesky AppView dialect: Bluesky's public API and the local graph server alike.

One table maps HTTP answers to kindred's errors; every request counts as one upstream call.

What the upstream answers is outside data, parsed here once into values whose shape is
checked (`atproto_values`), so nothing past this module checks it again:
- an answer is read as a stream, within one deadline for the whole call (`timeout`, not
  only per read) and up to MAX_BODY bytes; past either, RetryLater saying which;
- a page keeps at most the `limit` asked for: a longer one is cut, and the entries past the
  limit are counted in `Page.dropped["over_limit"]`, as the cursor has moved past them;
- an entry whose DID is not of its method's documented shape is dropped and counted
  (`Page.dropped["invalid_id"]`); a handle that breaks the handle grammar becomes
  `handle.invalid`, as Bluesky shows it, since the DID is what names the account;
- a profile whose `followersCount` or `followsCount` is present but not an integer in
  0..MAX_COUNT (`"abc"`, `1e400`, `10^30`, `-5`, `true`) is refused: `profile` raises
  FailedForGood("malformed") (a 422 at submit) and `profiles` leaves it out, as it does an
  account the upstream did not return, so it is never scored with a made-up count. A count
  that is absent (the lexicon makes it optional) is 0, as before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import requests
import urllib3

from kindred.adapters.atproto_values import (
    INVALID_HANDLE,
    MAX_COUNT,
    parse_count,
    parse_did,
    parse_handle,
    parse_text,
    parse_url,
)
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
MAX_BODY = 2_000_000  # bytes of one answer; a full page of Bluesky's is about 100 KB
CHUNK = 65_536
MAX_CURSOR = 2048  # characters: a cursor rides in every task payload of its chain
MAX_RESET_WAIT = 3600.0  # seconds: a rate-limit reset named further ahead is not believed


class BlueskyGraph:
    """A GraphSource over `{base_url}/xrpc/...`; `timeout` bounds each call as a whole."""

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
        """Raises FailedForGood("malformed") for a profile not of the documented shape."""
        body = self._get("app.bsky.actor.getProfile", {"actor": actor})
        profile = _profile(body)
        if isinstance(profile, str):
            raise FailedForGood(f"getProfile({actor}): {profile}", "malformed")
        return profile

    def profiles(self, actors: Sequence[str]) -> list[AccountProfile]:
        """The profiles of the shape documented; any other is left out, as a missing one."""
        body = self._get("app.bsky.actor.getProfiles", {"actors": list(actors)})
        raws = _field(body, "profiles", list)[: len(actors)]
        return [p for p in map(_profile, raws) if isinstance(p, AccountProfile)]

    def followers(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page("app.bsky.graph.getFollowers", "followers", actor, cursor, limit)

    def follows(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page("app.bsky.graph.getFollows", "follows", actor, cursor, limit)

    def _page(self, method: str, key: str, actor: str, cursor: str | None, limit: int) -> Page:
        params: dict[str, Any] = {"actor": actor, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = self._get(method, params)
        entries = _field(body, key, list)
        accounts = tuple(a for a in map(_account, entries[:limit]) if a is not None)
        dropped = {
            "invalid_id": min(len(entries), limit) - len(accounts),
            "over_limit": max(0, len(entries) - limit),
        }
        next_cursor = body.get("cursor")
        if next_cursor is not None and not isinstance(next_cursor, str):
            raise RetryLater(f"{method}: cursor is {type(next_cursor).__name__}, not a string")
        if next_cursor is not None and len(next_cursor) > MAX_CURSOR:
            raise RetryLater(f"{method}: a cursor of {len(next_cursor)} characters")
        return Page(accounts, next_cursor or None, {k: n for k, n in dropped.items() if n})

    def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        reopens = self.window.closed_until(time.time())
        if reopens is not None:
            raise RetryLater(
                f"{method}: not called, a 429 heard here holds until {reopens:.0f}", reopens
            )
        self.meter.upstream_calls += 1
        deadline = time.monotonic() + self.timeout
        try:
            response = self.session.get(
                f"{self.base_url}/xrpc/{method}", params=params, timeout=self.timeout, stream=True
            )
        except requests.RequestException as error:
            raise RetryLater(f"{method}: {type(error).__name__}: {error}") from error
        try:
            with response:
                body = _read(method, response, deadline, self.timeout)
            return _answer(method, params, response, body)
        except RetryLater as error:
            if error.retry_at is not None:
                self.window.close_until(error.retry_at)
            raise


def _read(
    method: str,
    response: requests.Response | urllib3.BaseHTTPResponse,
    deadline: float,
    timeout: float,
    limit: int | None = None,
) -> bytes:
    """The whole body, streamed: RetryLater past `limit` bytes (MAX_BODY unless given) or
    past the call's deadline.

    Each read waits at most the time left to the deadline, so a body sent a byte at a time
    cannot hold the call longer than `timeout` in all. `response` is requests' or, for a
    pinned connection (`adapters.pinned`), urllib3's own, opened without preloading.
    """
    raw = response.raw if isinstance(response, requests.Response) else response
    limit = MAX_BODY if limit is None else limit
    declared = raw.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RetryLater(f"{method}: an answer of {declared} bytes, over the {limit} cap")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RetryLater(
                    f"{method}: no whole answer within {timeout:g} s ({size} bytes read)"
                )
            _wait_at_most(raw, left)
            chunk = raw.read1(CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise RetryLater(f"{method}: an answer over {limit} bytes; stopped reading")
            chunks.append(chunk)
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as error:
        if time.monotonic() >= deadline:
            raise RetryLater(
                f"{method}: no whole answer within {timeout:g} s ({size} bytes read)"
            ) from error
        raise RetryLater(
            f"{method}: reading the answer ({size} bytes in): {type(error).__name__}: {error}"
        ) from error


def _wait_at_most(raw: Any, seconds: float) -> None:
    """Let the next read of the connection's socket wait no longer than `seconds`."""
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _answer(
    method: str, params: dict[str, Any], response: requests.Response, data: bytes
) -> dict[str, Any]:
    """The body of a 200, or the error that says what to do about any other answer."""
    status = response.status_code
    if status == 200:
        try:
            body = json.loads(data)
        except (ValueError, RecursionError) as error:
            raise RetryLater(f"{method}: malformed body ({str(error)[:200]})") from error
        if not isinstance(body, dict):
            raise RetryLater(f"{method}: body is {type(body).__name__}, not an object")
        return body
    if status == 429:
        raise RetryLater(f"{method}: rate limited", retry_at=_reset_at(response))
    if status >= 500 or status == 408:
        raise RetryLater(f"{method}: upstream answered {status}")
    name, message = _error_body(data)
    actor = str(params.get("actor", params.get("actors")))[:300]
    if name in UNREADABLE:
        raise FailedForGood(f"{method}({actor}): {name}: {message}", UNREADABLE[name])
    if status in (400, 404) and ("not found" in message.lower() or name == "NotFound"):
        raise NotFound(f"{method}: account {actor!r} not found upstream")
    if status in (401, 403):
        raise FailedForGood(f"{method}({actor}): {status} {message}", "private")
    raise FailedForGood(f"{method}({actor}): {status} {name}: {message}", "rejected")


def _reset_at(response: requests.Response) -> float | None:
    """The epoch second the upstream's window resets (`ratelimit-reset`), if it names one
    within MAX_RESET_WAIT; a reset further ahead is left to the queue's backoff."""
    now = time.time()
    reset = response.headers.get("ratelimit-reset", "")
    retry_after = response.headers.get("retry-after", "")
    if reset and reset.replace(".", "", 1).isdigit() and len(reset) < 20:
        at = float(reset)
    elif retry_after.isdigit() and len(retry_after) < 20:
        at = now + int(retry_after)
    else:
        return None
    return at if at <= now + MAX_RESET_WAIT else None


def _error_body(data: bytes) -> tuple[str, str]:
    try:
        body = json.loads(data)
        return str(body.get("error", ""))[:100], str(body.get("message", ""))[:300]
    except (ValueError, RecursionError, AttributeError):
        return "", data[:200].decode("utf-8", "replace")


def _field(raw: Any, key: str, kind: type) -> Any:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, kind):
        raise RetryLater(f"malformed body: {key!r} is missing or not a {kind.__name__}")
    return value


def _account(raw: Any) -> Account | None:
    """The entry as an Account, or None when its DID is not of the documented shape."""
    did = parse_did(raw.get("did")) if isinstance(raw, dict) else None
    if did is None:
        return None
    return Account(did, parse_handle(raw.get("handle")) or INVALID_HANDLE)


def _profile(raw: Any) -> AccountProfile | str:
    """The profile, or what is wrong with it."""
    if not isinstance(raw, dict):
        return f"a profile that is a {type(raw).__name__}, not an object"
    did = parse_did(raw.get("did"))
    if did is None:
        return f"a profile whose did {str(raw.get('did'))[:80]!r} is not a DID"
    counts = {}
    for key in ("followersCount", "followsCount"):
        value = raw.get(key)
        counts[key] = 0 if value is None else parse_count(value)
        if counts[key] is None:
            return f"{did}'s {key} {str(value)[:40]!r} is not a count in 0..{MAX_COUNT}"
    return AccountProfile(
        id=did,
        handle=parse_handle(raw.get("handle")) or INVALID_HANDLE,
        display_name=parse_text(raw.get("displayName")),
        followers_count=counts["followersCount"] or 0,
        follows_count=counts["followsCount"] or 0,
        avatar=parse_url(raw.get("avatar")),
    )
