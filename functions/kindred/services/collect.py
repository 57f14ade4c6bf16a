"""Media collection: the images of a list of accounts, into Cloud Storage, never stored twice.

    submit ──> StartCollection ──> StartCollection ...      one task per CHUNK accounts
                    └──> ReadMedia ──> ReadMedia ...        one chain per account, a feed page each
                              ├──> FetchBlob                one per new image, on the blob queue
                              └──> CheckAccount ──> CheckAccount ... ──> [account record]
                                                  └──> [collection done] once every account is

Firestore is written per collection (its record, its end) and per account (one `create()`
marker), never per image: each FetchBlob records its outcome as a small Storage object
(`{key}.stored`, `.present`, `.failed-{reason}`, `.unfetched-{reason}`), and the account's
CheckAccount lists them (one list call) until every image it handed on has one, rescheduling
itself at most MAX_ROUNDS times (docs/decisions/0007-media-collection.md).

The providers differ only where `media_source` and `_named_by_id` say: Bluesky's dialect
names an image by its CID; Mastodon's by its attachment id, after a lookup of the account's
id (a task of its own), and its bytes get their CID once checked (0013-mastodon.md).
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from kindred.core import collection_names as names
from kindred.core import image_check, messages, retry
from kindred.core.cid import blob_cid
from kindred.core.collection_progress import Live, Seen, estimate
from kindred.core.cost import Meter
from kindred.core.did_document import pds_allowed
from kindred.core.errors import InvalidInput, KindredError, NotFound, RetryLater
from kindred.core.media import ID_KEY, CollectOptions, MediaImage, sidecar
from kindred.core.messages import CheckAccount, FetchBlob, ReadMedia, StartCollection
from kindred.core.names import analysis_doc
from kindred.core.pagination import advance
from kindred.core.sources import MASTODON, mastodon_host, mastodon_source, split_acct
from kindred.core.timestamps import rfc3339
from kindred.ports import MediaSource
from kindred.services import notices
from kindred.services.deps import Deps
from kindred.services.handoff import send
from kindred.services.submit import ACCOUNT, check_home, refuse_another_form

PROVIDERS = ("local", "bluesky", MASTODON)
# Providers whose blobs are on each account's own PDS, named by its DID document (resolved
# once per account, by its chain, when its first image is handed on); `local` serves them all.
RESOLVES_PDS = frozenset({"bluesky"})
MAX_ACCOUNTS = 100_000
MAX_CHECKED_HOSTS = 20  # Mastodon home servers checked at submit; each call checks its own
DEFAULT_TOP, MAX_TOP = 10, 1_000  # from an analysis: its N most similar accounts
MAX_PER_ACCOUNT = 100_000
CHUNK = 500  # accounts per stored list object and per StartCollection task
SEEN_CHARS = 12  # characters of each CID carried to tell an image already handed on
MAX_ROUNDS = 30  # CheckAccount reschedules at most this often, then records what is missing
MAX_CHECK_WAIT = 300.0  # seconds between two checks, at most
# Blob-host refusals that are about the account, not the image: the rest of it is not fetched.
ACCOUNT_REASONS = frozenset({"deactivated", "suspended", "not_found", "private",
                             "pds_not_allowed"})  # fmt: skip
_OUTCOME_RANK = {"stored": 3, "present": 2}
_OPTION_FIELDS = {"max_per_account", "replies"}
# The status lists a running collection's outcomes (to count the images still to fetch) only
# when it is this small: one list call and a read per account whose feed is read.
LIVE_ACCOUNTS, LIVE_IMAGES = 200, 20_000


def accounts_requested(deps: Deps, body: Any) -> tuple[list[str], str, CollectOptions]:
    """(accounts, provider, options) of a `POST /collections` body: its `accounts`, or the
    `top` most similar accounts of the finished analysis `from_analysis`; raises InvalidInput."""
    if not isinstance(body, dict) or "from_analysis" not in body:
        accounts, provider, options = parse_request(body)
        if provider.partition(":")[0] == MASTODON:  # user-given hosts: public, or the local one
            _check_hosts(deps, accounts)
        return accounts, provider, options
    unknown = sorted(set(body) - {"from_analysis", "top", "options", "notify_email"})
    if unknown:
        hint = "; give accounts or from_analysis, not both" if "accounts" in unknown else ""
        raise InvalidInput(f"unknown field {unknown[0]!r}{hint}", unknown[0])
    top = body.get("top", DEFAULT_TOP)
    if type(top) is not int or not 1 <= top <= MAX_TOP:
        raise InvalidInput(f"top must be an integer from 1 to {MAX_TOP}, not {top!r}", "top")
    analysis = body["from_analysis"]
    doc = None
    if isinstance(analysis, str) and 8 <= len(analysis) <= 64 and analysis.isalnum():
        doc = deps.store.get(analysis_doc(analysis))
    if doc is None:
        raise NotFound(f"no analysis {str(analysis)[:80]!r}", "from_analysis")
    if doc["status"] != "done":
        raise InvalidInput(
            f"analysis {analysis} is {doc['status']}: collect from it once it is done",
            "from_analysis",
        )
    if doc["provider"].partition(":")[0] not in PROVIDERS:  # a Mastodon one: its home server
        raise InvalidInput(
            f"analysis {analysis} is of {doc['provider']}, which cannot be collected from yet",
            "from_analysis",
        )
    accounts = [similar["handle"] for similar in doc["result"]["similar"][:top]]
    if not accounts:
        raise InvalidInput(f"analysis {analysis} found no similar account", "from_analysis")
    provider = doc["provider"]
    if mastodon_host(provider) is not None:  # each on its own home server, checked by its calls
        provider = mastodon_provider(accounts)
    return accounts, provider, _options(body.get("options", {}))


def parse_request(body: Any) -> tuple[list[str], str, CollectOptions]:
    """(accounts, provider, options) from a `POST /collections` body; raises InvalidInput,
    and NotFound for an account of a form the provider's accounts never have. Mastodon
    accounts are `user@host`, each read on its own home server: the provider is that
    server's source, `mastodon:{host}`, when they share one, else `mastodon`."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    unknown = sorted(set(body) - {"accounts", "provider", "options", "notify_email"})
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", unknown[0])
    accounts = body.get("accounts")
    if not isinstance(accounts, list) or not 1 <= len(accounts) <= MAX_ACCOUNTS:
        found = f"{len(accounts)} entries" if isinstance(accounts, list) else type(accounts)
        raise InvalidInput(
            f"accounts must be a list of 1 to {MAX_ACCOUNTS:,} handles or DIDs, not {found}",
            "accounts",
        )
    for i, account in enumerate(accounts):
        if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
            raise InvalidInput(
                f"accounts[{i}] must be a handle (name.example.com), a DID or user@host "
                f"(Mastodon), not {str(account)[:80]!r}",
                "accounts",
            )
    provider = body.get("provider", "local")
    if provider not in PROVIDERS:
        raise InvalidInput(
            f"provider {str(provider)[:40]!r} cannot be collected from; known: "
            f"{', '.join(PROVIDERS)}",
            "provider",
        )
    named = [account.lstrip("@") for account in accounts]
    for account in named:
        refuse_another_form(provider, account, "accounts")
    if provider == MASTODON:
        named = [_acct(account) for account in named]
        provider = mastodon_provider(named)
    return named, provider, _options(body.get("options", {}))


def _acct(account: str) -> str:
    """`user@host` as Mastodon names it, the host lower-cased (`core.sources.split_acct`)."""
    user, host = split_acct(account) or ("", "")
    return f"{user}@{host}"


def mastodon_provider(accounts: list[str]) -> str:
    """The provider of a collection of these `user@host` accounts: their home server's source
    when they share one, else `mastodon` (each account then read on its own)."""
    hosts = {account.rpartition("@")[2] for account in accounts}
    return mastodon_source(hosts.pop()) if len(hosts) == 1 else MASTODON


def account_source(provider: str, account: str) -> str:
    """Where an account of a collection of `provider` is read: a Mastodon account on its own
    home server (`mastodon:{host}`), any other as the collection's provider says."""
    return mastodon_source(account.rpartition("@")[2]) if provider == MASTODON else provider


def _check_hosts(deps: Deps, accounts: list[str]) -> None:
    """Raises InvalidInput naming `accounts` for a home server that is neither the local one
    nor public, of the first MAX_CHECKED_HOSTS the accounts name (each call checks again)."""
    hosts = dict.fromkeys(account.rpartition("@")[2] for account in accounts)
    for host in list(hosts)[:MAX_CHECKED_HOSTS]:
        check_home(deps, host, "accounts")


def _options(raw: Any) -> CollectOptions:
    if not isinstance(raw, dict):
        raise InvalidInput("options must be an object", "options")
    unknown = sorted(set(raw) - _OPTION_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown option {unknown[0]!r}", unknown[0])
    cap = raw.get("max_per_account", CollectOptions().max_per_account)
    if type(cap) is not int or not 1 <= cap <= MAX_PER_ACCOUNT:
        raise InvalidInput(
            f"max_per_account must be an integer from 1 to {MAX_PER_ACCOUNT:,}, "
            f"not {str(cap)[:40]!r}",
            "max_per_account",
        )
    replies = raw.get("replies", True)
    if not isinstance(replies, bool):
        raise InvalidInput(f"replies must be true or false, not {str(replies)[:40]!r}", "replies")
    return CollectOptions(cap, replies)


def submit(
    deps: Deps,
    accounts: list[str],
    provider: str,
    options: CollectOptions,
    client: str = "local",
    notify_email: str | None = None,
) -> str:
    """Record the collection, its account list in Storage, and start it; returns its id.
    With `notify_email`, raises as `notices.check_room` does before anything is written."""
    if notify_email is not None:
        notices.check_room(deps, client)
    collection = secrets.token_urlsafe(16).replace("_", "x").replace("-", "y")
    for chunk in range(0, len(accounts), CHUNK):
        body = json.dumps(accounts[chunk : chunk + CHUNK]).encode()
        deps.blobs.write(f"{names.accounts_blob(collection)}.{chunk // CHUNK:04d}", body)
    deps.store.create(
        names.collection_doc(collection),
        {
            "id": collection,
            "kind": "collection",
            "status": "running",
            "client": client,
            "notify_email": notify_email,
            "provider": provider,
            "options": {"max_per_account": options.max_per_account, "replies": options.replies},
            "accounts_total": len(accounts),
            "accounts_sample": accounts[:20],
            "created_at": deps.clock.now(),
            "cost": Meter(),
        },
    )
    send(deps, names.start_task(collection, 0), StartCollection(analysis=collection))
    return collection


def start_step(deps: Deps, message: StartCollection) -> None:
    collection, offset = message.analysis, message.offset
    doc = deps.store.get(names.collection_doc(collection))
    if doc is None:
        return
    name = f"{names.accounts_blob(collection)}.{offset // CHUNK:04d}"
    accounts = json.loads(deps.blobs.read(name))
    options = CollectOptions(**doc["options"])
    for i, account in enumerate(accounts):
        chain = ReadMedia(
            analysis=collection, provider=account_source(doc["provider"], account),
            account=account, index=offset + i, options=options,
        )  # fmt: skip
        send(deps, names.media_task(collection, offset + i, 0), chain, carry=False)
    if offset + CHUNK < doc["accounts_total"]:
        following = replace(message, offset=offset + CHUNK)
        send(deps, names.start_task(collection, offset + CHUNK), following)


def media_source(deps: Deps, provider: str, blob_url: str = "") -> MediaSource:
    """The provider's MediaSource, the provider seam of the one pipeline: the media adapter
    of its dialect over the graph adapter's connection (until the wiring module builds it
    itself), for a Mastodon source its pinned one; Bluesky's blobs from `blob_url` (the
    account's PDS) when given."""
    graph: Any = deps.graph(provider)
    if mastodon_host(provider) is not None:
        from kindred.adapters.mastodon_media import MastodonMedia

        return MastodonMedia(graph)
    from kindred.adapters.bluesky_media import BlueskyMedia

    return BlueskyMedia(graph, blob_url or None)


def _named_by_id(provider: str) -> bool:
    """Whether the provider's images are named by an upstream id, not by their CID
    (Mastodon's, of one home server or several): their outcomes are then kept by that id,
    and by CID once their bytes are."""
    return provider.partition(":")[0] == MASTODON


def _given_up(deps: Deps, error: KindredError, waits: int) -> str:
    """The reason to record `error` under when the retry rule gives up on it; else raises it,
    for the queue (or the step's own wait) to try again."""
    decision = retry.decide(error, deps.attempt, waits)
    if decision.action is not retry.Action.GIVE_UP:
        raise error
    return decision.reason


def _guard(deps: Deps, provider: str) -> Callable[[str], None]:
    """Raises FailedForGood(`pds_not_allowed`) for a URL from outside data kindred may not
    reach: only the provider's configured origins, or public https hosts (core.netguard)."""
    trusted = (deps.settings.provider_url(provider), deps.settings.plc_directory)
    return lambda url: pds_allowed(url, trusted, deps.resolve)


def resolve_pds(deps: Deps, provider: str, did: str) -> str:
    """The account's PDS origin, from its DID document: one upstream call on this step's meter,
    over the graph adapter's connection; raises as a MediaSource does."""
    from kindred.adapters.did_resolver import DidResolver

    graph: Any = deps.graph(provider)
    return DidResolver(graph.session, graph.meter, deps.settings.plc_directory,
                       _guard(deps, provider), graph.timeout).pds(did)  # fmt: skip


def media_step(deps: Deps, message: ReadMedia) -> None:
    cap, state = message.options.max_per_account, message.page
    source = media_source(deps, message.provider)
    if source.looks_up and not message.did:
        _look_up(deps, message, source)
        return
    new: list[MediaImage] = []
    try:
        actor = message.did if source.looks_up else message.account
        page = source.media_page(actor, state.cursor, source.max_page, message.options.replies)
        new = _new_images(message, page.images)
        pds = message.pds
        if new and not pds and message.provider in RESOLVES_PDS:  # once, by its first image
            pds = resolve_pds(deps, message.provider, new[0].did)
    except KindredError as error:
        reason = _given_up(deps, error, message.delivery.waits)
        known = message.did or (new[0].did if new else "")  # an account whose PDS failed
        _record_failed_feed(deps, replace(message, did=known), reason, error)
        return
    # limit 1: a page may hold a single image of the cap (replies left out, reposts)
    step = advance(state, len(new), page.cursor, cap, 1)
    for image in new:
        fetch = FetchBlob(
            analysis=message.analysis, provider=deps.settings.blob_upstream(message.provider),
            source=message.provider, index=message.index, image=image, pds=pds,
        )  # fmt: skip
        send(deps, names.blob_task(message.analysis, message.index, image.key), fetch, carry=False)
    skipped = Counter(message.skipped) + Counter(page.dropped)
    following = replace(
        message,
        page=step.state,
        images=message.images + len(new),
        seen=message.seen + "".join(image.key[-SEEN_CHARS:] for image in new),
        did=message.did or (new[0].did if new else ""),
        skipped=dict(skipped),
        pds=pds,
    )
    if not step.done:
        send(deps, names.media_task(message.analysis, message.index, step.state.pages), following)
    elif following.images == 0:
        _record_account(deps, message.analysis, message.index, _empty(deps, following))
    else:
        handle = new[0].handle if new else message.account
        check = CheckAccount(
            analysis=message.analysis, source=message.provider, account=message.account,
            index=message.index, did=following.did, handle=handle, images=following.images,
            pages=step.state.pages, skipped=dict(skipped), cost=message.cost,
        )  # fmt: skip
        # kept for the sweeper, which forces the check of an account that stalls
        deps.blobs.write_json(names.check_spec_blob(message.analysis, message.index),
                              check.to_dict())  # fmt: skip
        at = deps.clock.now() + _check_wait(deps, message.provider, following.images)
        send(deps, names.check_task(message.analysis, message.index, 0), check, at=at)


def _look_up(deps: Deps, message: ReadMedia, source: MediaSource) -> None:
    """The account's id (one call), then its first page in a task of its own; an account
    not found, or not to be read, is recorded failed with its reason."""
    try:
        account_id = source.account_id(message.account)
    except KindredError as error:
        _record_failed_feed(deps, message, _given_up(deps, error, message.delivery.waits), error)
        return
    named = replace(message, did=account_id)
    send(deps, names.media_named_task(message.analysis, message.index), named)


def _new_images(message: ReadMedia, images: tuple[MediaImage, ...]) -> list[MediaImage]:
    """The page's images not handed on before, up to the cap."""
    seen = {message.seen[i : i + SEEN_CHARS] for i in range(0, len(message.seen), SEEN_CHARS)}
    new: list[MediaImage] = []
    for image in images:
        tail = image.key[-SEEN_CHARS:]
        if message.images + len(new) < message.options.max_per_account and tail not in seen:
            new.append(image)
            seen.add(tail)
    return new


def _empty(deps: Deps, message: ReadMedia) -> dict[str, Any]:
    return {
        "account": message.account, "did": message.did or None, "status": "done",
        "images": 0, "bytes": 0, "pages": message.page.pages, "skipped": dict(message.skipped),
        "calls": message.cost.upstream_calls + deps.meter.upstream_calls, "cost": message.cost,
    }  # fmt: skip


def _record_failed_feed(deps: Deps, message: ReadMedia, reason: str, error: Exception) -> None:
    _record_account(
        deps, message.analysis, message.index,
        {
            "account": message.account, "did": message.did or None, "status": "failed",
            "reason": reason, "error": str(error)[:300], "images": message.images, "bytes": 0,
            "pages": message.page.pages,
            "calls": message.cost.upstream_calls + deps.meter.upstream_calls,
            "cost": message.cost,
        },
    )  # fmt: skip


def fetch_step(deps: Deps, message: FetchBlob) -> None:
    image, collection, index = message.image, message.analysis, message.index
    outcome, cid = _fetch(deps, message)
    keys = [cid] if cid and cid != image.key else []  # named by an upstream id: its file too
    # the image's own outcome last: once it is there, the check counts the image as ended
    for key in [*keys, image.key]:
        name = names.outcome_blob(collection, index, key, outcome)
        deps.blobs.write_json(name, {"cost": Meter()})


def _fetch(deps: Deps, message: FetchBlob) -> tuple[str, str]:
    """Store the image unless it is stored already: its outcome in this collection, and the
    CID of its file when it has one stored."""
    image, provider, collection = message.image, message.source, message.analysis
    stored = _stored_cid(deps, provider, image)
    if stored:
        return "present", stored
    account_failed = names.account_failed_blob(collection, message.index)
    if deps.blobs.exists(account_failed):
        return f"unfetched-{json.loads(deps.blobs.read(account_failed))['reason']}", ""
    try:
        if message.pds:  # checked again right before connecting: it may resolve elsewhere now
            _guard(deps, provider)(message.pds)
        source = media_source(deps, provider, message.pds)
        data = source.blob(image, source.max_bytes)
    except KindredError as error:
        reason = _given_up(deps, error, message.delivery.waits)
        if reason in ACCOUNT_REASONS:
            deps.blobs.write_json(account_failed, {"reason": reason, "key": image.key})
        return f"failed-{reason}", ""
    problem = image_check.problem(data, image)
    if problem is not None:  # other bytes, or not the image said: never stored
        # A garbled answer passes (the next may be whole); a host that keeps serving other
        # bytes is given up on, by the one rule.
        garbled = RetryLater(f"image {image.key}: {problem}")
        if retry.decide(garbled, deps.attempt).action is not retry.Action.GIVE_UP:
            raise garbled
        return f"failed-{problem}", ""
    cid = image.cid or blob_cid(data)
    _store(deps, message, data, cid)
    return "stored", cid


def _stored_cid(deps: Deps, provider: str, image: MediaImage) -> str:
    """The CID of the image's file if it is stored whole already, else "": its sidecar, or
    for an image named by an upstream id the index naming its CID (no upstream call)."""
    if image.cid:
        sidecar_name = names.sidecar_blob(provider, image.did, image.cid)
        return image.cid if deps.blobs.exists(sidecar_name) else ""
    try:
        index = deps.blobs.read(names.media_index_blob(provider, image.did, image.media_id))
    except NotFound:
        return ""
    return str(json.loads(index)["cid"])


def _store(deps: Deps, message: FetchBlob, data: bytes, cid: str) -> None:
    """The checked bytes under their CID, then the sidecar (the file is whole once it is
    there), then for an image named by an upstream id the index that names the CID."""
    image, provider = message.image, message.source
    sidecar_name = names.sidecar_blob(provider, image.did, cid)
    # the same bytes as another attachment's, stored already: kept as they are
    if image.cid or not deps.blobs.exists(sidecar_name):
        deps.blobs.write(names.media_blob(provider, image.did, cid, image.extension), data)
        base = message.pds or deps.settings.provider_url(provider)
        url = image.url or f"{base}/xrpc/com.atproto.sync.getBlob?did={image.did}&cid={cid}"
        deps.blobs.write_json(sidecar_name, sidecar(image, cid, len(data), url))
    if not image.cid:
        deps.blobs.write_json(
            names.media_index_blob(provider, image.did, image.media_id),
            {"cid": cid, "extension": image.extension, "attachment_id": image.media_id},
        )


def _outcomes(
    deps: Deps, collection: str, index: int, source: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(each image's best outcome by its key, each kept file's by its CID) from one listing
    of the account's outcomes; for a source whose images are named by their CID, the second
    is the kept part of the first."""
    prefix = names.outcomes_prefix(collection, index)
    by_id = _named_by_id(source)
    images: dict[str, str] = {}
    files: dict[str, str] = {}
    for name in deps.blobs.sizes(prefix):
        key, _, outcome = name[len(prefix) :].partition(".")
        if key.startswith("_"):
            continue
        table = files if by_id and not key.startswith(ID_KEY) else images
        if _OUTCOME_RANK.get(outcome, 1) > _OUTCOME_RANK.get(table.get(key, ""), 0):
            table[key] = outcome
    if not by_id:
        files = {key: outcome for key, outcome in images.items() if outcome in _OUTCOME_RANK}
    return images, files


def check_step(deps: Deps, message: CheckAccount) -> None:
    collection, index = message.analysis, message.index
    outcomes, files = _outcomes(deps, collection, index, message.source)
    if len(outcomes) < message.images and message.round < MAX_ROUNDS:
        pending = message.images - len(outcomes)
        at = deps.clock.now() + _check_wait(deps, message.source, pending)
        again = replace(message, round=message.round + 1)
        send(deps, names.check_task(collection, index, message.round + 1), again, at=at)
        return
    _record_account(deps, collection, index, _account_result(deps, message, outcomes, files))


def force_check(deps: Deps, collection: str, index: int, account: str, attempt: int) -> str:
    """Move a stalled account on (the sweeper): its check, if its feed chain ended, runs now
    and records the images still without an outcome as missing; an account whose feed chain
    never ended is recorded as failed, `stalled`. Returns which ("checked" or "stalled")."""
    try:
        spec = messages.from_dict(CheckAccount.STEP, json.loads(
            deps.blobs.read(names.check_spec_blob(collection, index))))  # fmt: skip
    except NotFound:
        _record_account(
            deps, collection, index,
            {
                "account": account, "did": None, "status": "failed", "reason": "stalled",
                "error": "its feed was not read to the end before the collection stalled",
                "images": 0, "bytes": 0, "calls": 0,
            },
        )  # fmt: skip
        return "stalled"
    forced = replace(cast(CheckAccount, spec), round=MAX_ROUNDS + attempt)
    send(deps, names.check_task(collection, index, MAX_ROUNDS + attempt), forced, carry=False)
    return "checked"


def _account_result(
    deps: Deps, message: CheckAccount, outcomes: dict[str, str], files: dict[str, str]
) -> dict[str, Any]:
    """The account's record: its images by outcome (`outcomes`, by key), and the files kept
    (`files`, by CID: two attachments of the same bytes are one file)."""
    prefix = names.media_prefix(message.source, message.did)
    sizes = {
        name[len(prefix) :].split(".")[0]: size
        for name, size in deps.blobs.sizes(prefix).items()
        if not name.endswith(".json")
    }
    counts = Counter(outcomes.values())
    kept = list(files)
    failed = Counter(
        outcome.split("-", 1)[1] for outcome in outcomes.values() if outcome not in _OUTCOME_RANK
    )
    reasons = set(failed)
    account_failed = not kept and bool(reasons) and reasons <= ACCOUNT_REASONS
    calls = counts["stored"] + sum(n for o, n in counts.items() if o.startswith("failed-"))
    return {
        "account": message.account, "did": message.did, "handle": message.handle,
        "status": "failed" if account_failed else "done",
        "reason": min(reasons) if account_failed else None,
        "images": len(kept), "fetched": counts["stored"], "already_stored": counts["present"],
        "failed": dict(failed), "missing": message.images - len(outcomes),
        "bytes": sum(sizes.get(cid, 0) for cid in kept), "pages": message.pages,
        "skipped": dict(message.skipped), "prefix": f"gs://{deps.settings.bucket}/{prefix}",
        "calls": message.cost.upstream_calls + calls, "cost": message.cost,
    }  # fmt: skip


def _check_wait(deps: Deps, provider: str, pending: int) -> float:
    rate = deps.settings.upstream_rate(deps.settings.blob_upstream(provider))
    return min(MAX_CHECK_WAIT, 2.0 + pending / max(rate, 0.1))


def _record_account(deps: Deps, collection: str, index: int, result: dict[str, Any]) -> None:
    result = {**result, "index": index, "at": deps.clock.now()}
    if deps.store.create(names.account_doc(collection, index), result):
        maybe_finish(deps, collection)


def maybe_finish(deps: Deps, collection: str) -> bool:
    """Mark the collection done once every account has its record; safe from any account end."""
    doc = deps.store.get(names.collection_doc(collection))
    if doc is None or doc.get("status") == "done":
        return False
    if deps.store.count(names.accounts_collection(collection)) < doc["accounts_total"]:
        return False
    done = {"status": "done", "finished_at": deps.clock.now()}
    deps.store.update(names.collection_doc(collection), done)
    notices.ended(deps, "collection", collection, doc, "done")
    return True


def status(deps: Deps, collection: str) -> dict[str, Any]:
    """The collection's status, progress and an estimate of the time left; raises NotFound."""
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", collection):
        raise NotFound(f"no collection {collection!r}")
    doc = deps.store.get(names.collection_doc(collection))
    if doc is None or doc.get("kind") != "collection":
        raise NotFound(f"no collection {collection!r}")
    accounts = names.accounts_collection(collection)
    # Two aggregations: Firestore answers at most five in one query.
    done, totals = deps.store.totals(accounts, ("images", "bytes", "calls", "fetched"))
    _, more = deps.store.totals(accounts, ("already_stored", "pages"))
    failed = deps.store.count(accounts, [("status", "==", "failed")])
    seen = _seen(deps, collection, doc, done, totals["calls"], more["pages"])
    left = estimate(seen)
    body: dict[str, Any] = {
        "id": collection, "status": doc["status"], "provider": doc["provider"],
        "options": doc["options"],
        "progress": {
            "accounts_total": doc["accounts_total"], "accounts_done": done - failed,
            "accounts_failed": failed, "accounts_reading": left.accounts_reading,
            "images_stored": totals["images"], "images_fetched": totals["fetched"],
            "images_already_stored": more["already_stored"],
            "images_pending": left.images_pending, "bytes_stored": totals["bytes"],
            "feed_pages": more["pages"], "upstream_calls": totals["calls"],
            "share": left.share, "seconds_left": left.seconds_left,
            "feed_rate": round(seen.feed_rate, 3), "blob_rate": round(seen.blob_rate, 3),
        },
        "created_at": rfc3339(doc["created_at"]), "finished_at": rfc3339(doc.get("finished_at")),
    }  # fmt: skip
    if doc["status"] == "done" and doc["accounts_total"] <= 1000:
        docs = deps.store.list(accounts)
        body["accounts"] = [_account_view(d) for d in sorted(docs, key=lambda d: d["index"])]
    return body


def _seen(
    deps: Deps, collection: str, doc: dict[str, Any], ended: int, calls: int, pages: int
) -> Seen:
    """The estimate's inputs: the records' sums, the queues' rates shared by the collections
    running on them, and for a small running collection what its outcomes say."""
    provider, total = doc["provider"], doc["accounts_total"]
    running = deps.store.count(
        names.COLLECTIONS,
        [("kind", "==", "collection"), ("status", "==", "running"), ("provider", "==", provider)],
    )
    share = max(running, 1)
    small = total <= LIVE_ACCOUNTS and total * doc["options"]["max_per_account"] <= LIVE_IMAGES
    return Seen(
        status=doc["status"], accounts_total=total, accounts_ended=ended,
        max_per_account=doc["options"]["max_per_account"],
        elapsed=max(0.0, deps.clock.now() - doc["created_at"]),
        feed_rate=deps.settings.upstream_rate(provider) / share,
        blob_rate=deps.settings.upstream_rate(deps.settings.blob_upstream(provider)) / share,
        pages_ended=pages, calls_ended=calls,
        live=_live(deps, collection, total - ended, provider)
        if small and doc["status"] == "running" else None,
    )  # fmt: skip


def _live(deps: Deps, collection: str, unrecorded: int, source: str) -> Live:
    """Accounts still reading their feed and images still to fetch, from one listing of the
    outcomes and each ended feed's kept check (which says how many images it handed on)."""
    root = names.all_outcomes_prefix(collection)
    by_id = _named_by_id(source)
    outcomes: dict[str, set[str]] = {}
    checks: list[str] = []
    for name in deps.blobs.sizes(root):
        account, _, rest = name[len(root) :].partition("/")
        if rest == "_check.json":
            checks.append(name)
        elif not rest.startswith("_") and (rest.startswith(ID_KEY) or not by_id):
            outcomes.setdefault(account, set()).add(rest.partition(".")[0])
    pending = checking = 0
    for name in checks:
        handed_on = json.loads(deps.blobs.read(name))["images"]
        account = name[len(root) :].partition("/")[0]
        waiting = max(0, handed_on - len(outcomes.get(account, ())))
        pending += waiting
        checking += waiting > 0
    return Live(accounts_reading=max(0, unrecorded - checking), images_pending=pending)


def _account_view(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("account", "did", "handle", "status", "reason", "images", "bytes", "fetched",
            "already_stored", "failed", "missing", "prefix")  # fmt: skip
    return {key: doc.get(key) for key in keys if key in doc}
