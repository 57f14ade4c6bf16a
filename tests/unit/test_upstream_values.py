"""Properties of the parsers that stand between the upstream and everything past the adapter."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindred.adapters.atproto_values import MAX_COUNT, parse_count, parse_did, parse_handle
from kindred.core import tally
from kindred_infra.graph_server.identity import Identity

B32 = "abcdefghijklmnopqrstuvwxyz234567"
plc = st.text(alphabet=B32, min_size=24, max_size=24).map(lambda s: "did:plc:" + s)
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
tld = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
hostname = st.builds(
    lambda labels, last: ".".join([*labels, last]), st.lists(label, min_size=1, max_size=4), tld
)


@given(plc)
def test_every_plc_did_of_the_documented_shape_is_accepted(did):
    assert parse_did(did) == did


@given(hostname)
def test_did_web_with_a_hostname_is_accepted_and_handles_follow_the_same_grammar(host):
    assert parse_did(f"did:web:{host}") == f"did:web:{host}"
    assert parse_handle(host) == host.lower()


@given(
    st.integers(min_value=0, max_value=2**64 - 1), st.sampled_from(["ego-twitter", "wide", "a.b"])
)
def test_the_local_graph_servers_dids_and_handles_stay_valid(account, dataset):
    identity = Identity(dataset)
    assert parse_did(identity.did(account)) == identity.did(account)
    assert parse_handle(identity.handle(account)) == identity.handle(account)


@given(st.text(max_size=60))
def test_anything_accepted_as_a_did_has_no_tab_newline_or_control_character(text):
    for candidate in (text, "did:plc:" + text, "did:web:" + text, "did:x:" + text):
        did = parse_did(candidate)
        if did is not None:
            assert did.isprintable() and "\t" not in did and "\n" not in did and " " not in did


@pytest.mark.parametrize(
    "did",
    [
        "did:plc:x\t999999\nzzz", "did:plc:y\tz", "did:plc:" + "a" * 23, "did:plc:" + "A" * 24,
        "did:plc:" + "a" * 25, "did:plc:" + "1" * 24, "did:web:", "did:web:example.com/path",
        "did:web:-bad.com", "did:Upper:x", "did:x:", "did:x:abc%", "did:x:a:", "did:", "plc:abc",
        "did:x:" + "a" * 2048, "", None, 17, ["did:plc:" + "a" * 24], "did:plc:" + "a" * 24 + "\n",
    ],
)  # fmt: skip
def test_malformed_dids_are_refused(did):
    assert parse_did(did) is None


@given(st.integers())
def test_counts_are_integers_within_bounds(value):
    assert parse_count(value) == (value if 0 <= value <= MAX_COUNT else None)


@given(st.one_of(st.floats(), st.text(), st.booleans(), st.none(), st.lists(st.integers())))
def test_anything_not_an_integer_is_no_count(value):
    assert parse_count(value) is None


keys = st.text(min_size=0, max_size=30)


@given(st.dictionaries(keys, st.integers(min_value=1, max_value=10**9)).map(Counter))
def test_a_tally_round_trips_or_is_refused_when_a_key_has_a_tab_or_a_newline(counts):
    bad = any("\t" in key or "\n" in key for key in counts)
    if bad:
        with pytest.raises(ValueError, match="tab or a newline"):
            tally.encode(counts)
    else:
        assert tally.decode(tally.encode(counts)) == counts


@given(st.lists(plc, min_size=1, max_size=50, unique=True), st.text(alphabet="\t\n", min_size=1))
def test_one_forged_key_among_many_refuses_the_whole_run(dids, forge):
    counts = Counter({did: 1 for did in dids})
    counts[dids[0] + forge + "999999"] = 1
    with pytest.raises(ValueError):
        tally.write_run(sorted(counts.items()), batch=7)
