"""Mastodon's API on one home server: the account's own, whose name the user gave.

One table maps HTTP answers to kindred's errors, as for the AppView (`bluesky`); every request
counts as one upstream call, and answers are read as the AppView's are (`bluesky._read`:
streamed, one deadline for the whole call, a size cap). What differs:

- the host came from a request, so every call is resolved once, each address checked
  (`core.netguard`, through `guard`), and made to that address (`adapters.pinned`); only the
  operator's configured host (the local stack's graph server) is let through on loopback;
- pages follow the `Link` header: its rel="next" gives the next `max_id`, the cursor (only
  that value is read from it, so a server cannot send the next call elsewhere);
- a 429's `X-RateLimit-Reset` (ISO 8601) is when the step runs again, and closes this
  instance's window until then, as `ratelimit-reset` does for the AppView;
- ids are the home server's, so an analysis asks that server only. Followers whose lists it
  cannot give whole are dropped from the page by reason (`Page.dropped`): a remote one (its
  home server knows whom it follows; this one only those it hosts), a suspended one, a moved
  one (its follows moved with it) and one that hides its network (`hide_collections`).
  Followed accounts are all kept, remote ones included: the server names them with its ids.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3

from kindred.adapters import pinned
from kindred.adapters.bluesky import MAX_CURSOR, _error_body, _read
from kindred.adapters.mastodon_values import (
    REMOTE,
    MastodonAccount,
    next_max_id,
    parse_account,
    parse_id,
    reset_at,
)
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, InvalidInput, NotFound, RetryLater
from kindred.core.rate_window import RateWindow
from kindred.core.sources import split_acct
from kindred.ports import AccountProfile, Page

FAILED_FOR_GOOD = {401: "private", 403: "hidden", 410: "suspended", 422: "rejected"}


class MastodonGraph:
    """A GraphSource over one home server's `/api/v1/accounts/...`."""

    max_page = 80  # followers and following: limit at most 80
    max_batch = 40  # GET /api/v1/accounts?id[]=: at most 40 ids (Mastodon 4.3)

    def __init__(
        self,
        host: str,
        base_url: str,
        meter: Meter,
        guard: pinned.Guard,
        resolve: pinned.Resolve = pinned.resolve,
        timeout: float = 10.0,
        window: RateWindow | None = None,
    ):
        self.host = host  # the domain in its accounts' names (user@host)
        self.base_url = base_url.rstrip("/")  # where it answers: https://host, or configured
        self.meter, self.guard, self.resolve = meter, guard, resolve
        self.timeout = timeout
        self.window = window or RateWindow()

    def profile(self, actor: str) -> AccountProfile:
        """`user` or `user@host`; raises FailedForGood (suspended, moved, hidden, remote,
        malformed) for an account whose followers cannot be read here."""
        named = split_acct(actor if "@" in actor else f"{actor}@{self.host}")
        if named is None or named[1] != self.host:
            raise NotFound(f"{actor!r} is not an account of {self.host}")
        body = self._get("/api/v1/accounts/lookup", {"acct": named[0]})
        account = parse_account(body, self.host)
        if isinstance(account, str):
            raise FailedForGood(f"accounts/lookup({actor}): {account}", "malformed")
        reason = account.unreadable or (REMOTE if account.domain != self.host else None)
        if reason is not None:
            moved = f" to {account.moved_to}: analyse that account" if account.moved_to else ""
            raise FailedForGood(f"{account.acct} is {reason}{moved}", reason)
        return account.as_profile()

    def profiles(self, actors: Sequence[str]) -> list[AccountProfile]:
        """The accounts of those ids that the server returned in the documented shape."""
        ids = [i for i in actors if parse_id(i)]
        body = self._get("/api/v1/accounts", {"id[]": ids}) if ids else []
        if not isinstance(body, list):
            raise RetryLater(f"accounts: body is {type(body).__name__}, not a list")
        parsed = [parse_account(raw, self.host) for raw in body[: len(actors)]]
        return [a.as_profile() for a in parsed if isinstance(a, MastodonAccount)]

    def followers(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page(actor, "followers", cursor, limit)

    def follows(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page(actor, "following", cursor, limit)

    def _page(self, actor: str, name: str, cursor: str | None, limit: int) -> Page:
        if parse_id(actor) is None:
            raise FailedForGood(f"{name}: {actor[:80]!r} is not a Mastodon id", "malformed")
        params: dict[str, Any] = {"limit": limit} | ({"max_id": cursor} if cursor else {})
        body, link = self._get_with_link(f"/api/v1/accounts/{actor}/{name}", params)
        if not isinstance(body, list):
            raise RetryLater(f"{name}: body is {type(body).__name__}, not a list")
        dropped: dict[str, int] = {"over_limit": max(0, len(body) - limit)}
        kept = []
        for raw in body[:limit]:
            account = parse_account(raw, self.host)
            reason = "invalid_id" if isinstance(account, str) else self._skip(account, name)
            if reason is None:
                kept.append(account)
            else:
                dropped[reason] = dropped.get(reason, 0) + 1
        accounts = tuple(a.as_account() for a in kept if isinstance(a, MastodonAccount))
        return Page(accounts, next_cursor(name, link), {k: n for k, n in dropped.items() if n})

    def _skip(self, account: MastodonAccount, name: str) -> str | None:
        """Why a listed follower is left out, or None to keep it; a followed account is kept
        (the server already leaves suspended ones out of its lists)."""
        if name == "following":
            return None
        if account.domain != self.host:
            return REMOTE
        return account.unreadable

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        return self._get_with_link(path, params)[0]

    def _get_with_link(self, path: str, params: dict[str, Any]) -> tuple[Any, str]:
        """The parsed body of a 200 and its `Link` header; raises as `_answer` says."""
        what = path.removeprefix("/api/v1/")
        url = f"{self.base_url}{path}" + (f"?{urlencode(params, doseq=True)}" if params else "")
        with self.window_held():
            response, deadline = self.call(url, what, "application/json")
            data = self.body(what, response, deadline)
            return _answer(what, response, data), str(response.headers.get("link", ""))

    def call(self, url: str, what: str, accept: str) -> tuple[urllib3.BaseHTTPResponse, float]:
        """One GET of `url` (this server's, or a media host it named), at the address its
        check gave, counted as one upstream call: the answer, its body left unread (`body`),
        and the monotonic time by which the whole call must be over.
        Raises RetryLater while a 429 heard here holds, and for a name that does not resolve
        or a connection that fails; FailedForGood (`host_not_allowed`) for a host the guard
        refuses."""
        reopens = self.window.closed_until(time.time())
        if reopens is not None:
            raise RetryLater(
                f"{what}: not called, a 429 heard here holds until {reopens:.0f}", reopens
            )
        try:
            host, address = pinned.checked_address(url, self.resolve, self.guard, "account")
        except InvalidInput as error:
            raise FailedForGood(f"{self.host}: {error}", "host_not_allowed") from error
        except OSError as error:  # the name did not resolve: perhaps for now
            raise RetryLater(f"{host_of(url)} does not resolve ({error})") from error
        self.meter.upstream_calls += 1
        deadline = time.monotonic() + self.timeout
        try:
            response = pinned.kept_pool(pinned.origin(url), address, host, self.timeout).urlopen(
                "GET",
                pinned.target(url),
                headers={"Host": pinned.host_header(url, host), "Accept": accept,
                         "User-Agent": "kindred"},
                redirect=False, retries=False, preload_content=False, assert_same_host=False,
            )  # fmt: skip
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise RetryLater(f"{what}: {type(error).__name__}: {error}") from error
        return response, deadline

    def body(self, what: str, response: urllib3.BaseHTTPResponse, deadline: float,
             limit: int | None = None) -> bytes:  # fmt: skip
        """The whole body of a `call`'s answer, by its deadline (`bluesky._read`)."""
        try:
            data = _read(what, response, deadline, self.timeout, limit)
        except RetryLater:
            response.close()  # read part way: the connection cannot serve another call
            raise
        response.release_conn()
        return data

    @contextlib.contextmanager
    def window_held(self) -> Iterator[None]:
        """A RetryLater that names a reset (a 429's) closes this instance's window until then."""
        try:
            yield
        except RetryLater as error:
            if error.retry_at is not None:
                self.window.close_until(error.retry_at)
            raise


def next_cursor(what: str, link: str) -> str | None:
    """The next page's cursor from a `Link` header (`next_max_id`), or None on the last page;
    RetryLater for one that is not an id or is too long to carry."""
    try:
        cursor = next_max_id(link)
    except ValueError as error:
        raise RetryLater(f"{what}: {error}") from error
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise RetryLater(f"{what}: a cursor of {len(cursor)} characters")
    return cursor


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url[:80]


def _answer(what: str, response: urllib3.BaseHTTPResponse, data: bytes) -> Any:
    """The body of a 200, or the error that says what to do about any other answer."""
    status = response.status
    if status == 200:
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as error:
            raise RetryLater(f"{what}: malformed body ({str(error)[:200]})") from error
    if status == 429:
        raise RetryLater(f"{what}: rate limited", retry_at=reset_at(response.headers, time.time()))
    if status >= 500 or status == 408:
        raise RetryLater(f"{what}: upstream answered {status}")
    said, _ = _error_body(data)
    if status == 404:
        raise NotFound(f"{what}: {said or 'Record not found'}")
    reason = FAILED_FOR_GOOD.get(status, "rejected")
    raise FailedForGood(f"{what}: {status} {said}", reason)
