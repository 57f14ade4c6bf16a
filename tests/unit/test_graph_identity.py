"""Handles and DIDs: deterministic, reversible, bound to the dataset, strict about the rest."""

from __future__ import annotations

import re

import pytest

from kindred_infra.graph_server.identity import (
    MAX_ACCOUNT,
    Identity,
    dataset_name_from,
    is_actor_syntax,
    is_dataset_name,
)

pytestmark = pytest.mark.unit

ACCOUNTS = [0, 1, 12, 13, 115485051, 2**32, 2**63 + 5, MAX_ACCOUNT]
DID = re.compile(r"did:plc:[a-z2-7]{24}")


@pytest.mark.parametrize("account", ACCOUNTS)
def test_handle_and_did_resolve_back_to_the_account(account: int) -> None:
    identity = Identity("ego-twitter")
    assert identity.handle(account) == f"u{account}.ego-twitter.test"
    assert DID.fullmatch(identity.did(account))
    assert identity.resolve(identity.handle(account)) == account
    assert identity.resolve(identity.did(account)) == account


def test_dids_are_stable_and_distinct() -> None:
    dids = [Identity("ego-twitter").did(n) for n in range(2000)]
    assert dids == [Identity("ego-twitter").did(n) for n in range(2000)]
    assert len(set(dids)) == 2000
    assert len({did[8:12] for did in dids}) > 1000  # neighbours do not share a prefix


def test_another_dataset_gives_other_names_and_rejects_ours() -> None:
    ours, theirs = Identity("ego-twitter"), Identity("tiny")
    assert ours.did(12) != theirs.did(12)
    assert theirs.resolve(ours.did(12)) is None
    assert theirs.resolve(ours.handle(12)) is None


def test_handles_are_case_insensitive() -> None:
    assert Identity("ego-twitter").resolve("U12.Ego-Twitter.TEST") == 12


@pytest.mark.parametrize(
    "actor",
    [
        "",
        "u012.ego-twitter.test",  # not canonical
        "u-1.ego-twitter.test",
        "ux.ego-twitter.test",
        "12.ego-twitter.test",
        "u12.ego-twitter.test.evil",
        "u12.tiny.test",
        f"u{MAX_ACCOUNT + 1}.ego-twitter.test",
        "alice.bsky.social",
        "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        "did:web:example.com",
        "did:plc:short",
    ],
)
def test_anything_else_is_not_found(actor: str) -> None:
    assert Identity("ego-twitter").resolve(actor) is None


def test_a_did_with_one_character_changed_fails_its_check() -> None:
    identity = Identity("ego-twitter")
    did = identity.did(115485051)
    for position in range(8, len(did)):
        changed = did[:position] + ("a" if did[position] != "a" else "b") + did[position + 1 :]
        assert identity.resolve(changed) is None
    assert identity.resolve(did.upper().replace("DID:PLC:", "did:plc:")) is None


def test_actor_syntax_follows_atproto() -> None:
    assert is_actor_syntax("u12.ego-twitter.test")
    assert is_actor_syntax("alice.bsky.social")
    assert is_actor_syntax("did:plc:ewvi7nxzyoun6zhxrhs64oiz")
    assert is_actor_syntax("did:web:example.com")
    for bad in ["", "alice", "-a.test", "a..b", "did:plc:", "did:PLC:x", "user@example.com"]:
        assert not is_actor_syntax(bad), bad


def test_dataset_names() -> None:
    assert is_dataset_name("ego-twitter") and is_dataset_name("snap.ego-twitter")
    assert not is_dataset_name("Ego_Twitter") and not is_dataset_name("-x")
    assert dataset_name_from("Ego_Twitter") == "ego-twitter"
    assert dataset_name_from("__") == "graph"
    with pytest.raises(ValueError, match="not lowercase DNS labels"):
        Identity("Bad Name")
