"""The collection page's HTML: running, done and failed, escaping of upstream text, odd fields."""

from __future__ import annotations

import pytest
from support.pages import Parsed

from kindred.web import collection_page

EVIL = "<script>alert('x')</script>"
RUNNING = {
    "id": "abcdefgh1234",
    "status": "running",
    "provider": "local",
    "options": {"max_per_account": 50, "replies": True},
    "progress": {
        "accounts_total": 3, "accounts_done": 1, "accounts_failed": 1, "accounts_reading": 0,
        "images_stored": 40, "images_fetched": 38, "images_already_stored": 2,
        "images_pending": 12, "bytes_stored": 8_200_000, "feed_pages": 3, "upstream_calls": 43,
        "share": 0.37, "seconds_left": 95.0, "feed_rate": 20.0, "blob_rate": 9.0,
    },
    "created_at": "2026-01-02T03:04:05.000Z",
    "finished_at": None,
}  # fmt: skip
ACCOUNTS = [
    {"account": "busy.test", "did": "did:plc:busy", "handle": "busy.test", "status": "done",
     "reason": None, "images": 50, "bytes": 10_000_000, "fetched": 48, "already_stored": 2,
     "failed": {"cid_mismatch": 1}, "missing": 2,
     "prefix": "gs://kindred-local/media/local/did:plc:busy/"},
    {"account": "empty.test", "did": "did:plc:empty", "status": "done", "images": 0, "bytes": 0},
    {"account": "gone.test", "did": "did:plc:gone", "handle": "gone.test", "status": "failed",
     "reason": "deactivated", "images": 0, "bytes": 0, "failed": {"deactivated": 3},
     "prefix": "gs://kindred-local/media/local/did:plc:gone/"},
]  # fmt: skip
DONE = {
    **RUNNING,
    "status": "done",
    "progress": {**RUNNING["progress"], "accounts_done": 2, "images_stored": 50,
                 "images_pending": 0, "share": 1.0, "seconds_left": 0.0},
    "finished_at": "2026-01-02T03:06:10.000Z",
    "accounts": ACCOUNTS,
}  # fmt: skip


def refreshes(page: Parsed) -> bool:
    return any(attrs.get("http-equiv") == "refresh" for attrs in page.all("meta"))


def test_running_shows_the_stage_a_bar_the_counts_the_time_left_and_reloads_itself():
    page = Parsed(collection_page.render(RUNNING))
    assert page.all("progress") == [{"id": "progress", "max": "1", "value": "0.3700"}]
    assert refreshes(page)
    text = page.joined()
    for shown in ("Fetching the last images", "2 of 3", "(1 failed)", "40", "(12 to fetch)",
                  "8.2 MB", "43", "about 1 min 35 s", "37%"):  # fmt: skip
        assert shown in text, shown
    reading = {**RUNNING, "progress": {**RUNNING["progress"], "accounts_reading": 2}}
    assert "Reading the accounts' feeds" in Parsed(collection_page.render(reading)).joined()


def test_unknown_time_left_is_estimating():
    unknown = {**RUNNING, "progress": {**RUNNING["progress"], "seconds_left": None}}
    assert "estimating" in Parsed(collection_page.render(unknown)).joined()


def test_done_sums_up_and_lists_each_account_with_its_files_and_why_it_failed():
    page = Parsed(collection_page.render(DONE))
    assert not refreshes(page) and not page.all("progress")
    text = page.joined()
    for shown in ("3 of 3", "50", "10.0 MB", "2 min 05 s", "43", "38 / 2"):
        assert shown in text, shown
    rows = [attrs for attrs in page.all("tr") if "data-status" in attrs]
    assert [row["data-status"] for row in rows] == ["done", "done", "failed"]
    assert "@busy.test" in text and "@empty.test" in text  # no handle: the account as asked
    assert "gs://kindred-local/media/local/did:plc:busy/" in text
    assert "failed: the account is deactivated" in text
    assert "not stored: 2 never fetched, 1 the bytes served did not match their CID" in text
    links = {attrs["id"]: attrs["href"] for attrs in page.all("a") if "id" in attrs}
    assert links == {"json-link": "/collections/abcdefgh1234?format=json"}


def test_failed_says_what_failed_and_what_to_do():
    report = {**RUNNING, "status": "failed", "error": None}
    page = Parsed(collection_page.render(report))
    assert not refreshes(page)
    assert "The collection failed: unknown" in page.joined()
    assert "Submit the collection again" in page.joined()
    said = {**report, "error": {"reason": "stalled", "message": "Nothing moved; " + EVIL}}
    text = Parsed(collection_page.render(said)).joined()
    assert "its feed was not read to the end" in text and "Nothing moved" in text


def test_upstream_text_is_escaped():
    hostile = {**ACCOUNTS[2], "handle": EVIL, "reason": EVIL, "prefix": f"gs://b/{EVIL}"}
    page = collection_page.render({**DONE, "id": EVIL, "accounts": [hostile]})
    assert "<script>" not in page and page.count("&lt;script&gt;") >= 4
    assert "&lt;script&gt;alert(&#x27;x&#x27;)" in page  # the reason, shown as words


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"status": "done"},
        {"status": "running", "progress": None, "options": None},
        {"status": "done", "accounts": [{}, None], "progress": {"accounts_total": "x"}},
        {"status": "failed", "error": None},
        {**DONE, "finished_at": "not a time", "created_at": 5},
    ],
)
def test_missing_or_odd_fields_show_as_dashes(report):
    page = collection_page.render(report)
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
