"""The Bluesky adapter's parsing of crafted answers, through a fake session (no network)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
import urllib3

from kindred.adapters import bluesky
from kindred.adapters.bluesky import BlueskyGraph
from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, RetryLater

DID = "did:plc:" + "a" * 24
OTHER = "did:plc:" + "b" * 24


class FakeSession(requests.Session):
    """Answers every GET with one crafted body; remembers what it was asked."""

    def __init__(self, body: bytes | Any, status: int = 200, headers: dict | None = None):
        super().__init__()
        self.data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.status, self.headers_out, self.asked = status, headers or {}, []

    def get(self, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.asked.append((url, kwargs))
        response = requests.Response()
        response.status_code = self.status
        response.headers.update(self.headers_out)
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(self.data), headers=self.headers_out, status=self.status,
            preload_content=False,
        )  # fmt: skip
        return response


def graph(body: bytes | Any, **kwargs: Any) -> BlueskyGraph:
    return BlueskyGraph("http://upstream.test", Meter(), FakeSession(body, **kwargs))


def entry(did: Any, handle: Any = "a.test") -> dict[str, Any]:
    return {"did": did, "handle": handle}


def test_an_entry_with_a_forged_did_is_dropped_and_counted():
    forged = [entry("did:plc:x\t999999\nzzz"), entry("did:plc:y\tz"), {"handle": "x.test"}]
    page = graph({"follows": [entry(DID), *forged, entry(OTHER)]}).follows("a.test", None, 100)
    assert [a.id for a in page.accounts] == [DID, OTHER]
    assert page.dropped == {"invalid_id": 3}


def test_a_bad_handle_becomes_handle_invalid_and_the_entry_stays():
    page = graph({"followers": [entry(DID, "bad\thandle"), entry(OTHER, "Bob.Example.COM")]})
    accounts = page.followers("x.test", None, 100).accounts
    assert [(a.id, a.handle) for a in accounts] == [
        (DID, "handle.invalid"),
        (OTHER, "bob.example.com"),
    ]


def test_a_page_longer_than_the_limit_is_cut_to_it_and_the_rest_counted():
    entries = [entry(f"did:plc:{n:024d}".replace("0", "a").replace("1", "b")) for n in range(2)]
    many = [entries[n % 2] for n in range(10_000)]
    page = graph({"followers": many, "cursor": "next"}).followers("x.test", None, 30)
    assert len(page.accounts) == 30 and page.cursor == "next"
    assert page.dropped == {"over_limit": 9_970}


@pytest.mark.parametrize("count", ["abc", 1e400, 10**30, -5, True, 2.5, [1]])
def test_a_profile_with_a_bad_count_is_refused(count):
    raw = {"did": DID, "handle": "a.test", "followersCount": count}
    text = json.dumps(raw).replace("Infinity", "1e400").encode()  # json.dumps writes inf so
    with pytest.raises(FailedForGood) as caught:
        graph(text).profile("a.test")
    assert caught.value.reason == "malformed"
    good = {"did": OTHER, "handle": "b.test", "followersCount": 7}
    body = json.dumps({"profiles": [raw, good]}).replace("Infinity", "1e400").encode()
    assert [p.id for p in graph(body).profiles([DID, OTHER])] == [OTHER]


def test_a_good_profile_keeps_its_counts_and_an_absent_count_is_zero():
    raw = {"did": DID, "handle": "a.test", "followersCount": 12, "displayName": {"x": 1}}
    profile = graph(raw).profile("a.test")
    assert (profile.followers_count, profile.follows_count, profile.display_name) == (12, 0, "")


def test_a_body_over_the_cap_is_refused_by_its_declared_length_or_as_it_streams(monkeypatch):
    monkeypatch.setattr(bluesky, "MAX_BODY", 1000)
    body = json.dumps({"follows": [entry(DID)] * 100}).encode()
    with pytest.raises(RetryLater, match="over the 1000 cap"):
        graph(body, headers={"content-length": str(len(body))}).follows("a.test", None, 100)
    with pytest.raises(RetryLater, match="over 1000 bytes"):
        graph(body).follows("a.test", None, 100)


@pytest.mark.parametrize(
    "text", [b"[" * 100_000, b"{nope", b'"a string"', "\udc80".encode("utf-8", "surrogatepass")]
)
def test_a_garbled_body_is_a_passing_failure(text):
    with pytest.raises(RetryLater):
        graph(text).follows("a.test", None, 100)


def test_a_cursor_too_long_for_a_payload_is_a_passing_failure():
    with pytest.raises(RetryLater, match="cursor of"):
        graph({"follows": [], "cursor": "c" * 5000}).follows("a.test", None, 100)


def test_a_rate_limit_reset_far_ahead_is_not_believed():
    with pytest.raises(RetryLater) as caught:
        graph(b"{}", status=429, headers={"ratelimit-reset": "99999999999"}).follows("a", None, 1)
    assert caught.value.retry_at is None
