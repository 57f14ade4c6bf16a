"""Mastodon's unreadable accounts, end to end, on a stack whose graph server has some
(`kindred up --account-states --media`): a suspended, moved or hidden target is refused at
submit with its reason; such followers are skipped and counted by reason, and the answer is
the direct computation over the others; `only_media` statuses read with Mastodon.py."""

from __future__ import annotations

from collections import Counter

import pytest
from mastodon import Mastodon
from support import expected
from support.api import analyse, call
from support.expected import DEFAULTS
from support.stack import running, speed_up

from kindred_infra import paths, stack
from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.mastodon import ACTIVE, HIDDEN, MOVED, SUSPENDED

TARGET = 24581048  # 81 followers: 2 hide their network, 1 moved, 1 suspended
NAMES = Identity("ego-twitter")


@pytest.fixture(scope="module")
def states_stack(tmp_path_factory):
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("kindred-states"), ports=stack.free_ports(),
        rate_limit="0", account_states=True, media=True,
    )  # fmt: skip
    with running(options) as env:
        yield speed_up(env)


def listed(graph, account: int, name: str) -> list[int]:
    index = graph.index_of(account)
    members = graph.followers(index) if name == "followers" else graph.follows(index)
    return [int(n) for n in graph.ids[members]]


@pytest.fixture(scope="module")
def state():
    graph = expected.graph_arrays(paths.DEFAULT_GRAPH)
    return GraphApi(graph, NAMES, states=True).mastodon.state


@pytest.mark.parametrize(
    ("account", "reason"), [(5841, MOVED), (16023, HIDDEN), (30863, SUSPENDED)]
)
def test_an_unreadable_target_is_refused_with_its_reason(states_stack, state, account, reason):
    assert state(account) == reason
    status, answer = call(
        "POST", f"{states_stack['KINDRED_API_URL']}/analyses",
        {"account": f"u{account}@ego-twitter.test", "provider": "mastodon"},
        {"Authorization": f"Bearer {states_stack['KINDRED_API_KEY']}"},
    )  # fmt: skip
    assert (status, answer["error"]) == (422, reason), answer


def test_unreadable_followers_are_skipped_by_reason_and_the_rest_counted(states_stack, state):
    graph = expected.graph_arrays(paths.DEFAULT_GRAPH)
    options = dict(DEFAULTS)
    result = analyse(states_stack, f"u{TARGET}@ego-twitter.test", options, provider="mastodon")
    followers = listed(graph, TARGET, "followers")
    kinds = Counter(state(f) for f in followers)
    assert result["skipped"] == {HIDDEN: kinds[HIDDEN], MOVED: kinds[MOVED]}  # suspended: unlisted
    readable = [f for f in followers if state(f) == ACTIVE]
    assert result["followers_analyzed"] == len(readable) == kinds[ACTIVE]
    overlap = Counter(  # the server lists no suspended account; a moved one, it does
        n for f in readable for n in listed(graph, f, "follows") if state(n) != SUSPENDED
    )
    overlap.pop(TARGET, None)
    ranked = sorted(overlap.items(), key=lambda item: (-item[1], NAMES.mastodon_id(item[0])))
    want = [(NAMES.mastodon_id(a), n) for a, n in ranked[: options["top_candidates"]]]
    assert [(p["id"], p["overlap"]) for p in result["popular"]] == want


def test_mastodon_py_pages_through_only_media_statuses_and_their_attachments(states_stack):
    client = Mastodon(api_base_url=states_stack["KINDRED_GRAPH_URL"], request_timeout=30)
    account = client.account_lookup("u626373@ego-twitter.test")
    page = client.account_statuses(account.id, only_media=True, limit=40)
    statuses = client.fetch_remaining(page)
    assert len(statuses) >= 1 and all(s.media_attachments for s in statuses)
    assert [s.id for s in statuses] == sorted((s.id for s in statuses), reverse=True)
    assert all(s.account.acct == "u626373" and s.reblog is None for s in statuses)
    assert len(statuses) < account.statuses_count  # its posts without images left out
    first = statuses[0].media_attachments[0]
    assert first.type == "image" and first.url.startswith(states_stack["KINDRED_GRAPH_URL"])
    assert client.session.get(first.url, timeout=10).content[:2] in (b"\xff\xd8", b"\x89P", b"RI")
