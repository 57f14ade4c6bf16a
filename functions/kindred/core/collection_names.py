"""Deterministic names of a collection's documents, objects and tasks (as `core.names` does
for an analysis): a repeated step finds its own earlier work."""

from __future__ import annotations

COLLECTIONS = "collections"


def collection_doc(collection: str) -> str:
    return f"{COLLECTIONS}/{collection}"


def accounts_collection(collection: str) -> str:
    return f"{COLLECTIONS}/{collection}/accounts"


def account_doc(collection: str, index: int) -> str:
    return f"{accounts_collection(collection)}/a{index:06d}"


def accounts_blob(collection: str) -> str:
    """The list of accounts asked for, as JSON (it may be too big for one document)."""
    return f"collections/{collection}/accounts.json"


def media_prefix(provider: str, did: str) -> str:
    """An account's folder, by its provider's family: `media/local/{did}/`,
    `media/mastodon/{host}/{id}/` (a Mastodon account's `did` is `{host}/{id}`: its home
    server's ids are that server's own), whatever home server the collection read."""
    return f"media/{provider.partition(':')[0]}/{did}/"


def media_blob(provider: str, did: str, cid: str, extension: str) -> str:
    return f"{media_prefix(provider, did)}{cid}.{extension}"


def sidecar_blob(provider: str, did: str, cid: str) -> str:
    return f"{media_prefix(provider, did)}{cid}.json"


def media_index_blob(provider: str, did: str, media_id: str) -> str:
    """An image named by its upstream id (a Mastodon attachment): which CID its bytes have,
    written after its file and sidecar, so a stored id is never fetched again."""
    return f"{media_prefix(provider, did)}by-id/{media_id}.json"


def all_outcomes_prefix(collection: str) -> str:
    """Every account's outcomes: `a{index}/...` under it (one list call for the status)."""
    return f"collections/{collection}/outcomes/"


def outcomes_prefix(collection: str, index: int) -> str:
    """Where each image's outcome in this collection is recorded: `{key}.{outcome}`
    (`MediaImage.key`); an image named by its upstream id, once kept, also `{cid}.{outcome}`,
    what the export and the account's bytes read."""
    return f"{all_outcomes_prefix(collection)}a{index:06d}/"


def outcome_blob(collection: str, index: int, key: str, outcome: str) -> str:
    return f"{outcomes_prefix(collection, index)}{key}.{outcome}"


def account_failed_blob(collection: str, index: int) -> str:
    """Written by the first blob the host refuses for the whole account (deactivated, ...)."""
    return f"{outcomes_prefix(collection, index)}_account.json"


def start_task(collection: str, offset: int) -> str:
    return f"{collection}-start-{offset:06d}"


def media_task(collection: str, index: int, page: int) -> str:
    return f"{collection}-m{index:06d}-p{page:05d}"


def media_named_task(collection: str, index: int) -> str:
    """The account's first feed page, once its name is looked up (Mastodon: its id)."""
    return f"{collection}-m{index:06d}-named"


def blob_task(collection: str, index: int, key: str) -> str:
    """One image's download: `key` is its CID, or its upstream id (`MediaImage.key`)."""
    return f"{collection}-m{index:06d}-{key}"


def check_task(collection: str, index: int, round_: int) -> str:
    return f"{collection}-m{index:06d}-check{round_:03d}"


def check_spec_blob(collection: str, index: int) -> str:
    """The account's CheckAccount, kept when its feed chain ends: the sweeper's to force."""
    return f"{outcomes_prefix(collection, index)}_check.json"
