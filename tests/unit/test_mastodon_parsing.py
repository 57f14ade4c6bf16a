"""Mastodon's answers parsed at the adapter: Link headers, rate-limit headers, accounts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import urllib3

from kindred.adapters.mastodon import _answer
from kindred.adapters.mastodon_values import (
    MAX_RESET_WAIT,
    next_max_id,
    parse_account,
    reset_at,
)
from kindred.core.errors import FailedForGood, NotFound, RetryLater
from kindred.core.sources import mastodon_host, mastodon_source, split_acct

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
DOCS_LINK = (  # the followers example of Mastodon's API reference
    "<https://mastodon.example/api/v1/accounts/14715/followers?limit=2&max_id=7486869>; "
    'rel="next", <https://mastodon.example/api/v1/accounts/14715/followers?limit=2&'
    'since_id=7489740>; rel="prev"'
)


def account(**fields):
    return {"id": "23634", "acct": "noiob", "display_name": "shork", "followers_count": 547,
            "following_count": 404, "avatar": "https://files.example/a.png", **fields}  # fmt: skip


def test_the_next_page_is_the_max_id_of_the_rel_next_link_only():
    assert next_max_id(DOCS_LINK) == "7486869"
    assert next_max_id('<https://h/api/v1/accounts/1/followers?min_id=9>; rel="prev"') is None
    assert next_max_id("") is None
    # Only the value is taken: a next link to another host changes nothing but max_id.
    assert next_max_id('<http://169.254.169.254/latest?max_id=5>; rel="next"') == "5"
    assert next_max_id('<https://h/x?limit=80>; rel="next"') is None  # no max_id: no page


@pytest.mark.parametrize("bad", ["1%27%20OR%201", "a" * 65, "1%0A2"])
def test_a_max_id_that_is_no_id_is_refused(bad):
    with pytest.raises(ValueError, match="max_id"):
        next_max_id(f'<https://h/api/v1/accounts/1/followers?max_id={bad}>; rel="next"')


@pytest.mark.parametrize(
    ("headers", "want"),
    [
        ({"X-RateLimit-Reset": "2026-03-01T12:05:00.000000Z"}, NOW + 300),
        ({"x-ratelimit-reset": "2026-03-01T13:05:00+01:00"}, NOW + 300),
        ({"X-RateLimit-Reset": str(int(NOW) + 60)}, NOW + 60),  # GoToSocial's epoch seconds
        ({"X-RateLimit-Reset": "soon", "Retry-After": "30"}, NOW + 30),
        ({"X-RateLimit-Reset": "2026-03-01T12:05:00"}, None),  # no zone: no time
        ({"X-RateLimit-Reset": "2026-03-02T12:00:00Z"}, None),  # a day ahead: not believed
        ({}, None),
    ],
)
def test_the_reset_is_read_from_x_ratelimit_reset_as_iso_8601(headers, want):
    lowered = {key.lower(): value for key, value in headers.items()}
    assert reset_at(lowered, NOW) == want
    assert MAX_RESET_WAIT == 3600


def test_a_local_account_gets_its_home_servers_domain_and_keeps_its_id():
    parsed = parse_account(account(), "awoo.space")
    assert parsed.as_account().id == "23634" and parsed.acct == "noiob@awoo.space"
    assert parsed.unreadable is None and parsed.domain == "awoo.space"
    profile = parsed.as_profile()
    assert (profile.handle, profile.followers_count, profile.follows_count) == (
        "noiob@awoo.space", 547, 404
    )  # fmt: skip
    remote = parse_account(account(acct="Noiob@Awoo.Space"), "mastodon.social")
    assert remote.acct == "Noiob@awoo.space" and remote.domain == "awoo.space"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"suspended": True}, "suspended"),
        ({"moved": {"id": "9", "acct": "new@else.where"}}, "moved"),
        ({"hide_collections": True}, "hidden"),
        ({"hide_collections": None, "suspended": False, "moved": None}, None),
    ],
)
def test_suspended_moved_and_hidden_accounts_say_why_they_cannot_be_read(fields, reason):
    parsed = parse_account(account(**fields), "awoo.space")
    assert parsed.unreadable == reason
    if reason == "moved":
        assert parsed.moved_to == "new@else.where"


@pytest.mark.parametrize(
    "fields",
    [
        {"id": 23634},  # a number, not the documented string
        {"id": "../../admin"},
        {"acct": "no one@awoo.space"},
        {"followers_count": -1},  # a hidden count
        {"following_count": "404"},
    ],
)
def test_an_account_not_of_the_documented_shape_says_what_is_wrong(fields):
    assert isinstance(parse_account(account(**fields), "awoo.space"), str)


def test_accounts_are_user_at_host_and_sources_name_the_home_server():
    assert split_acct("@u6017542@Ego-Twitter.test.") == ("u6017542", "ego-twitter.test")
    assert split_acct("u6017542.ego-twitter.test") is None
    assert split_acct("a@localhost") is None  # one label: no public home server
    assert mastodon_host(mastodon_source("mastodon.social")) == "mastodon.social"
    assert mastodon_host("bluesky") is None and mastodon_host("mastodon") is None


def answered(status: int, body: bytes = b"", **headers: str):
    response = urllib3.HTTPResponse(body=b"", headers=headers, status=status)
    return _answer("accounts/1/followers", response, body)


def test_one_table_maps_mastodons_answers_to_what_the_step_does():
    assert answered(200, b"[]") == []
    with pytest.raises(NotFound):
        answered(404, b'{"error": "Record not found"}')
    for status, reason in (
        (410, "suspended"),
        (403, "hidden"),
        (401, "private"),
        (422, "rejected"),
    ):
        with pytest.raises(FailedForGood) as failed:
            answered(status, b'{"error": "no"}')
        assert failed.value.reason == reason
    with pytest.raises(RetryLater) as limited:
        answered(
            429, b'{"error": "Too many requests"}', **{"X-RateLimit-Reset": "2099-01-01T00:00:00Z"}
        )
    assert limited.value.retry_at is None  # too far ahead to be believed: the queue's backoff
    soon = datetime.fromtimestamp(time.time() + 120, UTC).isoformat()
    with pytest.raises(RetryLater) as limited:
        answered(429, b"", **{"X-RateLimit-Reset": soon})
    assert limited.value.retry_at == pytest.approx(time.time() + 120, abs=2)
    for status, body in ((503, b"<html>"), (200, b"[{"), (502, b"")):
        with pytest.raises(RetryLater) as passing:
            answered(status, body)
        assert passing.value.retry_at is None
