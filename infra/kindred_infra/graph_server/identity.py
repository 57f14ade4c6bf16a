"""Handles and DIDs for the accounts of a graph, derived from the account number alone.

Account N of dataset D is `uN.D.test` (`.test` is reserved, so it can never be a real handle)
and `did:plc:` + 24 base32 characters: N enciphered by a small Feistel permutation keyed by D,
plus a check value over (D, N). Both directions are arithmetic: no table of 81k names is built
or looked up, a DID from another dataset fails its check, and the same account keeps its DID
across restarts. The permutation makes DIDs look random like real ones, so stores keyed by DID
do not get runs of near-identical keys (a hot spot for Firestore).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

DID_PREFIX = "did:plc:"
HANDLE_TLD = "test"
MAX_ACCOUNT = 2**64 - 1
MAX_MASTODON_ACCOUNT = 2**62 - 1  # a Mastodon id is a Postgres bigint: 62 bits keep it positive
_ROUNDS = (0, 1, 2, 3)
_MASTODON_HALF = 31  # bits per half of the Mastodon id's Feistel network
_CHECK_BYTES = 7  # 8 bytes of masked N + 7 check bytes = 15 bytes = exactly 24 base32 chars
_B32_CHARS = re.compile(r"[a-z2-7]{24}")
_ACCOUNT_LABEL = re.compile(r"u(0|[1-9][0-9]{0,19})")
# atproto's syntax rules, so a malformed actor is refused the way Bluesky refuses it.
_HANDLE_SYNTAX = re.compile(
    r"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)
_DID_SYNTAX = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_MASTODON_ID = re.compile(r"[1-9][0-9]{0,18}")


def is_actor_syntax(actor: str) -> bool:
    """True when actor is syntactically a DID or a handle (whether or not it exists)."""
    if len(actor) > 2048:
        return False
    if actor.startswith("did:"):
        return _DID_SYNTAX.fullmatch(actor) is not None
    return len(actor) <= 253 and _HANDLE_SYNTAX.fullmatch(actor) is not None


def is_dataset_name(name: str) -> bool:
    """True when name can sit inside a handle: dot-separated lowercase DNS labels."""
    return len(name) <= 200 and all(_LABEL.fullmatch(part) for part in name.split("."))


def dataset_name_from(text: str) -> str:
    """A valid dataset name made from a folder name (`Ego_Twitter` -> `ego-twitter`)."""
    labels = []
    for part in text.lower().split("."):
        label = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", part)).strip("-")[:63].strip("-")
        if label:
            labels.append(label)
    return ".".join(labels) or "graph"


@dataclass(frozen=True)
class Identity:
    """Names the accounts of one dataset; `resolve` is the inverse of `handle` and `did`."""

    dataset: str
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not is_dataset_name(self.dataset):
            raise ValueError(f"dataset name {self.dataset!r} is not lowercase DNS labels")
        object.__setattr__(self, "_key", hashlib.blake2b(self.dataset.encode()).digest()[:16])

    def handle(self, account: int) -> str:
        return f"u{account}.{self.dataset}.{HANDLE_TLD}"

    @property
    def host(self) -> str:
        """The home server the dataset stands for in Mastodon's dialect: `ego-twitter.test`."""
        return f"{self.dataset}.{HANDLE_TLD}"

    def username(self, account: int) -> str:
        """The Mastodon username: the handle's first label (`u6017542` of u6017542@host)."""
        return f"u{account}"

    def mastodon_id(self, account: int) -> str:
        """The account's Mastodon id: a decimal number, the account number enciphered on 62
        bits (so it looks like a real id, and a client cannot make one from the username)."""
        if not 0 <= account <= MAX_MASTODON_ACCOUNT:
            raise ValueError(f"account number {account} is outside 0..2**62-1")
        return str(self._permute(account, _ROUNDS, _MASTODON_HALF) + 1)

    def resolve_mastodon_id(self, mastodon_id: str) -> int | None:
        """The account number of a Mastodon id of this dataset's shape, else None (whether the
        graph holds it is the caller's to check: a number names some account either way)."""
        if not _MASTODON_ID.fullmatch(mastodon_id) or int(mastodon_id) > MAX_MASTODON_ACCOUNT + 1:
            return None
        return self._permute(int(mastodon_id) - 1, _ROUNDS[::-1], _MASTODON_HALF)

    def resolve_acct(self, acct: str) -> int | None:
        """The account number of `uN`, `uN@host` or `@uN@host` (this dataset's host), else None."""
        name, _, domain = acct.removeprefix("@").partition("@")
        if domain and domain.lower() != self.host:
            return None
        match = _ACCOUNT_LABEL.fullmatch(name.lower())
        if match is None or int(match.group(1)) > MAX_MASTODON_ACCOUNT:
            return None
        return int(match.group(1))

    def did(self, account: int) -> str:
        if not 0 <= account <= MAX_ACCOUNT:
            raise ValueError(f"account number {account} is outside 0..2**64-1")
        body = self._permute(account, _ROUNDS).to_bytes(8, "big") + self._check(account)
        return DID_PREFIX + base64.b32encode(body).decode("ascii").lower()

    def resolve(self, actor: str) -> int | None:
        """The account number of a handle or DID of this dataset, else None."""
        if actor.startswith(DID_PREFIX):
            return self._account_of_did(actor)
        return self._account_of_handle(actor)

    def _account_of_did(self, did: str) -> int | None:
        encoded = did[len(DID_PREFIX) :]
        if not _B32_CHARS.fullmatch(encoded):
            return None
        body = base64.b32decode(encoded.upper())
        account = self._permute(int.from_bytes(body[:8], "big"), _ROUNDS[::-1])
        return account if body[8:] == self._check(account) else None

    def _account_of_handle(self, handle: str) -> int | None:
        suffix = f".{self.dataset}.{HANDLE_TLD}"
        handle = handle.lower()  # handles are case-insensitive
        if not handle.endswith(suffix):
            return None
        match = _ACCOUNT_LABEL.fullmatch(handle[: -len(suffix)])
        if match is None or int(match.group(1)) > MAX_ACCOUNT:
            return None
        return int(match.group(1))

    def _permute(self, value: int, rounds: tuple[int, ...], half_bits: int = 32) -> int:
        """A keyed Feistel network on 2 * half_bits bits; the same rounds in reverse undo it."""
        mask = (1 << half_bits) - 1
        left, right = value >> half_bits, value & mask
        for number in rounds:
            left, right = right, left ^ (self._round(number, right) & mask)
        return (right << half_bits) | left

    def _round(self, number: int, half: int) -> int:
        data = number.to_bytes(1, "big") + half.to_bytes(4, "big")
        return int.from_bytes(hashlib.blake2b(data, key=self._key, digest_size=4).digest(), "big")

    def _check(self, account: int) -> bytes:
        data = f"{self.dataset}|{account}".encode()
        return hashlib.blake2b(data, digest_size=_CHECK_BYTES).digest()
