"""An analysis over the graph server's Mastodon dialect equals the direct computation from the
edge list, as the AppView dialect's does, for exactly the minimum of Mastodon calls (pages of
80, a full page naming a next one, profiles 40 a call), as the graph server counts them."""

from __future__ import annotations

import pytest
from support import expected
from support.api import analyse, call
from support.expected import CASES, DEFAULTS, minimum_calls


@pytest.mark.parametrize("case", ["largest, capped", "no followers"])
def test_the_result_over_mastodon_equals_the_direct_computation(fast_stack, case):
    account, options = CASES[case]
    options = {**DEFAULTS, **options}
    before = call("GET", fast_stack["KINDRED_GRAPH_URL"] + "/_stats")[1]
    result = analyse(fast_stack, f"u{account}@ego-twitter.test", options, provider="mastodon")
    after = call("GET", fast_stack["KINDRED_GRAPH_URL"] + "/_stats")[1]
    want = expected.expected(expected.load(), account, options, dialect="mastodon")

    expected.assert_same_answer(result, want)
    assert result["provider"] == "mastodon:ego-twitter.test"
    assert result["account"]["handle"] == f"u{account}@ego-twitter.test"
    spent = after["requests"] - before["requests"]
    minimum = minimum_calls(account, options, dialect="mastodon")
    assert result["cost"]["upstream_calls"] == minimum == spent
    mastodon_calls = sum(
        n - before["by_method"].get(method, 0)
        for method, n in after["by_method"].items()
        if method.startswith("mastodon.")
    )
    assert mastodon_calls == spent  # every call went to the Mastodon dialect


def test_a_mastodon_account_is_user_at_host_and_the_host_is_checked(fast_stack):
    url, key = fast_stack["KINDRED_API_URL"], fast_stack["KINDRED_API_KEY"]
    auth = {"Authorization": f"Bearer {key}"}
    for account, provider, code in (
        ("u6017542.ego-twitter.test", "mastodon", 404),  # a handle is no Mastodon account
        ("u6017542@ego-twitter.test", "local", 404),  # nor user@host an AppView one
        ("u6017542@kindred.localhost", "mastodon", 400),  # not public: refused before a call
        ("u6017542@127.0.0.1", "mastodon", 400),  # the graph server's address, not its name
        ("u6017542@169.254.169.254", "mastodon", 400),  # the cloud's metadata server
    ):
        body = {"account": account, "provider": provider}
        status, answer = call("POST", f"{url}/analyses", body, auth)
        assert (status, answer["field"]) == (code, "account"), answer
    status, answer = call(
        "POST", f"{url}/analyses", {"account": "u1@ego-twitter.test", "provider": "mastodon"}, auth
    )
    assert status == 404 and "user@host" in answer["message"], answer
