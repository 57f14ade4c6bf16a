"""Accepting an analysis request, and starting queued analyses when there is room."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from kindred.core import names
from kindred.core.cost import Meter
from kindred.core.errors import InvalidInput, NotFound, TooBusy
from kindred.core.mail import FIELD as NOTIFY
from kindred.core.messages import PageFollowers
from kindred.core.netguard import check_public_url
from kindred.core.options import AnalysisOptions, options_from_stored, parse_options
from kindred.core.sources import MASTODON, mastodon_source, split_acct
from kindred.services import notices
from kindred.services.deps import Deps
from kindred.services.handoff import send

RUNNING = ("followers", "follows", "aggregating", "profiles", "ranking")
# A handle (alice.bsky.social) or a DID (did:plc:...), with an optional leading @; for an
# analysis also a Mastodon account (user@host). The OpenAPI document gives these patterns as
# they are here (a test holds them equal).
HANDLE_OR_DID = re.compile(
    r"^@?(did:[a-z]+:[A-Za-z0-9._:%-]{1,200}|[A-Za-z0-9][A-Za-z0-9.-]{0,252})$"
)
ACCOUNT = re.compile(
    r"^@?(did:[a-z]+:[A-Za-z0-9._:%-]{1,200}|[A-Za-z0-9][A-Za-z0-9.-]{0,252}"
    r"|[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@[A-Za-z0-9][A-Za-z0-9.-]{0,252})$"
)
# An http(s) URL of a domain name (ASCII; an IDN in its xn-- form), a port, printable ASCII after.
# Whether the host resolves to public addresses only is netguard's to say, at submit.
CALLBACK_URL = re.compile(
    r"^https?://([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+[A-Za-z]{2,63}"
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    r"([/?#][!-~]*)?$"
)


WHAT_TO_CHECK = {
    "local": "check the handle (the bundled graph's look like u6017542.ego-twitter.test) "
    "or the graph the stack serves (`kindred up --graph`)",
    "bluesky": "check the handle's spelling (alice.bsky.social) or give the account's DID",
    MASTODON: "check the account: user@host, host its home server (the bundled graph's look "
    "like u6017542@ego-twitter.test)",
}


@dataclass(frozen=True)
class Submitted:
    id: str
    status: str
    existing: bool


def parse_request(body: Any, providers: tuple[str, ...]) -> tuple[str, str, AnalysisOptions]:
    """(account, provider, options) from a request body; raises InvalidInput, and NotFound
    for an account whose form the provider's accounts never have.

    The optional `callback_url` is checked by `submit`, which can resolve its host; the
    optional `notify_email` by `notices.requested_address`.
    """
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    unknown = sorted(set(body) - {"account", "provider", "options", "callback_url", NOTIFY})
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", unknown[0])
    account = body.get("account")
    if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
        raise InvalidInput(
            f"account must be a handle (name.example.com), a DID or user@host (Mastodon), "
            f"not {str(account)[:80]!r}",
            "account",
        )
    callback = body.get("callback_url")
    if callback is not None and not (
        isinstance(callback, str) and CALLBACK_URL.fullmatch(callback)
    ):
        raise InvalidInput(
            f"callback_url must be an http(s) URL of a domain name, not {str(callback)[:80]!r}",
            "callback_url",
        )
    provider = body.get("provider", "local")
    if provider not in providers:
        raise InvalidInput(
            f"unknown provider {provider!r}; known: {', '.join(providers)}", "provider"
        )
    account = account.lstrip("@")
    refuse_another_form(provider, account, "account")
    return account, provider, parse_options(_fitted(body.get("options")))


def refuse_another_form(provider: str, account: str, field: str) -> None:
    """Raises NotFound naming `field` for a well-formed account (`ACCOUNT`, without its @)
    of a form the provider's accounts never have: none can be there (the document's 404)."""
    if (provider == MASTODON) != ("@" in account) or (
        provider == MASTODON and split_acct(account) is None
    ):
        raise NotFound(
            f"no account {account[:80]!r} at {provider}: a Mastodon account is user@host "
            "(host: its home server), with provider mastodon; the other providers' are "
            "handles or DIDs",
            field,
        )


def _fitted(raw: Any) -> Any:
    """Options with `results` cut to `top_candidates` (a result lists scored candidates only):
    the OpenAPI document cannot say that one bound depends on another, so more is no error."""
    if not isinstance(raw, dict):
        return raw
    results = raw.get("results", AnalysisOptions().results)
    top = raw.get("top_candidates", AnalysisOptions().top_candidates)
    if type(results) is int and type(top) is int and results > top >= 1:
        return {**raw, "results": top}
    return raw


def submit(
    deps: Deps,
    account: str,
    provider: str,
    options: AnalysisOptions,
    client: str = "local",
    callback_url: str | None = None,
    notify_email: str | None = None,
) -> Submitted:
    """Look the account up (NotFound / FailedForGood if it cannot be analysed), then queue it.

    An analysis of the same account with the same options that is running, or finished
    within `recent_seconds`, is returned instead of a new one: found first by the name asked
    for, with no upstream call, then by the account's id once it is looked up. Raises TooBusy,
    before any upstream call, when the client already has `max_running_per_client` analyses
    queued or running. With `notify_email` (its normal form), an analysis is reused only if it
    was asked for with the same address (which it will tell, once); raises as
    `notices.check_room` does.
    """
    if callback_url is not None:
        check_public_url(callback_url, deps.resolve)
    if notify_email is not None:
        notices.check_room(deps, client)
    provider, asked_for = _source(deps, provider, account)
    asked = _key(provider, f"asked:{account}", options, notify_email)
    existing = _recent(deps, "asked", asked)
    if existing:
        return Submitted(existing[0], existing[1]["status"], existing=True)
    _check_room(deps, client)
    try:
        target = deps.graph(provider).profile(account)
    except NotFound as error:
        hint = WHAT_TO_CHECK.get(asked_for, "check its name")
        raise NotFound(f"no account {account!r} at {provider}: {hint}") from error
    key = _key(provider, target.id, options, notify_email)
    existing = _recent(deps, "key", key)
    if existing:
        return Submitted(existing[0], existing[1]["status"], existing=True)
    analysis = secrets.token_urlsafe(16).replace("_", "x").replace("-", "y")
    now = deps.clock.now()
    deps.store.create(
        names.analysis_doc(analysis),
        {
            "id": analysis,
            "key": key,
            "asked": asked,
            "client": client,
            "callback_url": callback_url,
            "notify_email": notify_email,
            "provider": provider,
            "account": {
                "id": target.id,
                "handle": target.handle,
                "display_name": target.display_name,
                "followers_count": target.followers_count,
                "avatar": target.avatar,
            },
            "options": options.as_dict(),
            "status": "queued",
            "priority": 0,
            "created_at": now,
            "updated_at": now,
            "cost_submit": Meter(),  # carried: the lookup, the queries, this create
        },
    )
    start_queued(deps)
    return Submitted(analysis, "queued", existing=False)


def _source(deps: Deps, provider: str, account: str) -> tuple[str, str]:
    """(where the account's graph is read, the provider asked for): a Mastodon account's own
    home server, which must be the configured local one or a host of public addresses only."""
    named = split_acct(account) if provider == MASTODON else None
    if named is None:
        return provider, provider
    check_home(deps, named[1], "account")
    return mastodon_source(named[1]), provider


def check_home(deps: Deps, host: str, field: str) -> None:
    """Raises InvalidInput naming `field` unless the Mastodon home server `host` is the
    configured local one or a host whose every address is public (`core.netguard`)."""
    if host != deps.settings.mastodon_local_host:
        check_public_url(f"https://{host}/", deps.resolve, field)


def start_queued(deps: Deps) -> list[str]:
    """Start queued analyses, best priority then oldest first, while fewer than max run."""
    running = deps.store.count(names.ANALYSES, [("status", "in", list(RUNNING))])
    room = deps.settings.max_running - running
    if room <= 0:
        return []
    queued = deps.store.query(names.ANALYSES, [("status", "==", "queued")], limit=100)
    queued.sort(key=lambda item: (-item[1].get("priority", 0), item[1]["created_at"]))
    return [_start(deps, analysis, doc) for analysis, doc in queued[:room]]


def _start(deps: Deps, analysis: str, doc: dict[str, Any]) -> str:
    now = deps.clock.now()
    deps.store.update(
        names.analysis_doc(analysis), {"status": "followers", "started_at": now, "updated_at": now}
    )
    message = PageFollowers(
        analysis=analysis,
        provider=doc["provider"],
        target=doc["account"]["id"],
        options=options_from_stored(doc["options"]),
        group=0,
    )
    send(deps, names.followers_task(analysis, 0), message)
    return analysis


def _key(
    provider: str, account_id: str, options: AnalysisOptions, notify_email: str | None = None
) -> str:
    """The same request's key; one with an address is another request for each address."""
    asked: list[Any] = [provider, account_id, options.as_dict()]
    raw = json.dumps(asked if notify_email is None else [*asked, notify_email], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _check_room(deps: Deps, client: str) -> None:
    active = [("client", "==", client), ("status", "in", ["queued", *RUNNING])]
    if deps.store.count(names.ANALYSES, active) >= deps.settings.max_running_per_client:
        raise TooBusy(
            f"you have {deps.settings.max_running_per_client} analyses queued or running; "
            "wait for one to finish"
        )


def _recent(deps: Deps, field: str, key: str) -> tuple[str, dict[str, Any]] | None:
    """The newest analysis whose `field` is `key`, running or recently done."""
    matches = deps.store.query(names.ANALYSES, [(field, "==", key)], limit=20)
    horizon = deps.clock.now() - deps.settings.recent_seconds
    usable = [
        (analysis, doc)
        for analysis, doc in matches
        if doc["status"] in ("queued", *RUNNING)
        or (doc["status"] == "done" and doc.get("finished_at", 0) >= horizon)
    ]
    return max(usable, key=lambda item: item[1]["created_at"], default=None)
