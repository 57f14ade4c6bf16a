"""The graph server's Mastodon dialect through the unmodified Mastodon.py client: its lookup,
its accounts and its pagination helpers read the same graph the AppView dialect serves."""

from __future__ import annotations

import pytest
from mastodon import Mastodon, MastodonNotFoundError
from support import expected

from kindred_infra import paths
from kindred_infra.graph_server.identity import Identity

LARGEST = 115485051  # the bundled graph's most-followed account: 3,383 followers
NAMES = Identity("ego-twitter")


def listed(account: int, name: str) -> list[str]:
    """The usernames of an account's followers or follows, in the graph's order."""
    graph = expected.graph_arrays(paths.DEFAULT_GRAPH)
    index = graph.index_of(account)
    members = graph.followers(index) if name == "followers" else graph.follows(index)
    return [NAMES.username(int(n)) for n in graph.ids[members]]


@pytest.fixture(scope="module")
def client(local_stack) -> Mastodon:
    return Mastodon(api_base_url=local_stack["KINDRED_GRAPH_URL"], request_timeout=30)


def test_account_lookup_finds_the_account_by_user_at_host(client):
    account = client.account_lookup(f"u{LARGEST}@ego-twitter.test")
    assert (account.username, account.acct) == (f"u{LARGEST}", f"u{LARGEST}")
    assert str(account.id) == NAMES.mastodon_id(LARGEST)
    assert (account.followers_count, account.following_count) == (3383, 1)
    assert client.account(account.id).acct == account.acct
    with pytest.raises(MastodonNotFoundError):
        client.account_lookup("u1@ego-twitter.test")  # no such account in the graph


def test_fetch_remaining_pages_through_all_3383_followers_in_the_graphs_order(client):
    account = client.account_lookup(f"u{LARGEST}")
    first = client.account_followers(account.id, limit=80)
    assert len(first) == 80
    everyone = client.fetch_remaining(first)
    assert len(everyone) == 3383
    assert [a.acct for a in everyone] == listed(LARGEST, "followers")


def test_fetch_next_and_fetch_previous_move_one_page_each_way(client):
    account = client.account_lookup(f"u{LARGEST}")
    first = client.account_followers(account.id, limit=40)  # Mastodon's default page too
    second = client.fetch_next(first)
    back = client.fetch_previous(second)
    assert [a.id for a in back] == [a.id for a in first]
    assert not {a.id for a in second} & {a.id for a in first}
    following = client.account_following(account.id)
    assert [a.acct for a in following] == listed(LARGEST, "following")
    assert client.fetch_next(following) is None  # one account: no next page
