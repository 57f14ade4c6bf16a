"""The results page's HTML: each state's content, escaping of upstream text, missing fields."""

from __future__ import annotations

import pytest
from support.pages import Parsed

from kindred.web import html

EVIL = "<script>alert('x')</script>"
ACCOUNT = {
    "id": "did:plc:target",
    "handle": "target.test",
    "display_name": "Tar & Get",
    "avatar": "http://127.0.0.1:1/avatar/did:plc:target.svg",
    "followers_count": 3383,
}
RUNNING = {
    "id": "abcdefgh1234",
    "status": "follows",
    "provider": "local",
    "account": ACCOUNT,
    "progress": {
        "share": 0.42,
        "followers_in_scope": 600,
        "followers_analyzed": 200,
        "upstream_calls": 260,
        "upstream_calls_expected": 738,
        "estimated_seconds_left": 84.4,
    },
    "created_at": "2026-01-02T03:04:05Z",
}
DONE = {
    **RUNNING,
    "status": "done",
    "coverage": 0.996,
    "followers_analyzed": 597,
    "followers_in_scope": 600,
    "skipped": {"private": 3},
    "finished_at": "2026-01-02T03:05:00Z",
    "similar": [
        {
            "handle": f"u{n}.test",
            "id": f"did:plc:{n}",
            "display_name": f"Name {n}",
            "followers_count": 100 + n,
            "avatar": None,
            "overlap": 50 - n,
            "score": 0.5 / (n + 1),
        }
        for n in range(30)
    ],
    "popular": [
        {"handle": None if n == 3 else f"p{n}.test", "id": f"did:p{n}", "overlap": 90 - n}
        for n in range(25)
    ],
    "cost": {"upstream_calls": 738, "tasks": 740, "firestore_writes": 12, "firestore_reads": 20},
}


def test_running_shows_the_stage_the_share_the_counts_and_reloads_itself():
    page = Parsed(html.render(RUNNING))
    assert page.all("progress") == [{"id": "progress", "max": "1", "value": "0.4200"}]
    assert any(attrs.get("http-equiv") == "refresh" for attrs in page.all("meta"))
    assert any(attrs.get("name") == "viewport" for attrs in page.all("meta"))
    text = page.joined()
    for shown in (html.STAGES["follows"], "42%", "200 of 600", "260 of ~738", "about 1 min 24 s"):
        assert shown in text
    assert "Tar & Get" in text and "@target.test" in text


INTERIM = {
    "final": False,
    "score": "overlap_share",
    "step": 2,
    "groups": 2,
    "followers": 200,
    "followers_analyzed": 190,
    "basis": 0.3333,
    "moved": {"changed": 0.25, "footrule": 0.1},
    "at": "2026-01-02T03:04:30Z",
    "results": [
        {"id": f"did:plc:i{n}", "handle": None, "overlap": 40 - n, "score": (40 - n) / 190}
        for n in range(8)
    ],
}


def test_running_shows_the_interim_ranking_with_what_it_rests_on():
    page = Parsed(html.render({**RUNNING, "interim": INTERIM}))
    text = page.joined()
    assert len(page.all("tr")) == 1 + 8
    assert "did:plc:i0" in text and "0.2105" in text  # 40 / 190, the overlap share
    assert "200 followers read so far, in 2 groups (33% of the audience)" in text
    assert "overlap share" in text and "25% of these accounts are new" in text
    assert not Parsed(html.render(RUNNING)).all("table")  # before the first interim: none


def test_the_first_interim_says_nothing_of_moving_and_bluesky_ids_link_to_profiles():
    evil = {"id": EVIL, "handle": None, "overlap": 1, "score": 0.1}
    first = {**INTERIM, "moved": None, "results": [INTERIM["results"][0], evil]}
    page = html.render({**RUNNING, "provider": "bluesky", "interim": first})
    assert "are new" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    hrefs = [attrs["href"] for attrs in Parsed(page).all("a")]
    assert "https://bsky.app/profile/did:plc:i0" in hrefs


def test_failed_says_what_to_do_and_does_not_reload():
    report = {
        **RUNNING,
        "status": "failed",
        "error": {"reason": "account_gone", "message": "The account was deleted; try another."},
    }
    page = Parsed(html.render(report))
    assert not any(attrs.get("http-equiv") == "refresh" for attrs in page.all("meta"))
    assert "failed: account gone" in page.joined() and "try another" in page.joined()
    assert not page.all("progress")


def test_done_shows_the_table_the_score_popular_cost_and_links():
    page = Parsed(html.render(DONE))
    text = page.joined()
    assert not any(attrs.get("http-equiv") == "refresh" for attrs in page.all("meta"))
    assert len(page.all("tr")) == 1 + 30
    assert "@u0.test" in text and "0.5000" in text and "cosine similarity" in text
    assert "597 of 600" in text and "100%" not in text and "99%" in text  # 0.996 rounds down
    assert "3 private" in text
    assert len(page.all("li")) == 25 and "did:p3" in text  # a popular account with no handle
    assert "Firestore writes" in text and "Storage writes" not in text  # a cost it lacks
    links = {attrs["id"]: attrs["href"] for attrs in page.all("a") if "id" in attrs}
    assert links == {
        "json-link": "/analyses/abcdefgh1234/results?format=json",
        "status-link": "/analyses/abcdefgh1234",
    }


def test_upstream_text_is_escaped_and_only_web_pictures_load():
    hostile = {**ACCOUNT, "display_name": EVIL, "handle": "a'b\"c.test", "avatar": "javascript:x"}
    row = {**DONE["similar"][0], "display_name": EVIL, "avatar": "x' onerror='alert(1)"}
    page = html.render({**DONE, "account": hostile, "similar": [row], "provider": "bluesky"})
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "javascript:" not in page and "onerror='" not in page
    assert not Parsed(page).all("img")  # neither picture is an http(s) URL
    hrefs = [attrs["href"] for attrs in Parsed(page).all("a")]
    assert "https://bsky.app/profile/u0.test" in hrefs  # Bluesky handles link to their profile


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"status": "done"},
        {"status": "queued", "account": None, "progress": None},
        {"status": "done", "similar": [{}], "popular": [None], "cost": {}, "skipped": None},
        {"status": "failed", "error": None},
        {**DONE, "coverage": None, "finished_at": "not a time", "created_at": 5},
        {**RUNNING, "interim": {"results": [None, {"id": None, "score": "x"}], "moved": 3}},
        {**RUNNING, "interim": "odd"},
    ],
)
def test_missing_or_odd_fields_show_as_dashes(report):
    page = html.render(report)
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
