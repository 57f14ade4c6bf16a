"""The collection page as a person sees it in a real headless Chromium, on a stack of its own
with the graph server's media: a collection's progress, reloading itself until it turns into
the summary and the table of its accounts (the failed one in plain words, where the files
are), whose link leads to the same collection's JSON."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from support.api import call
from support.browser import PHONE, chromium, evaluate
from support.collection import ACCOUNTS, BUSY, CAP, DEACTIVATED, EMPTY, submit_collection
from support.stack import paced

from kindred.web.collection_page import REASONS
from kindred_infra.render import size

BLOB_PACE = 4.0  # getBlob calls/s: the 50 images take ~13 s, long enough to see running


def test_the_page_shows_a_running_collection_then_its_accounts_and_links_to_its_json(
    media_stack, tmp_path: Path
):
    with paced(media_stack, BLOB_PACE, "upstream-local-blobs"):
        check_the_page(media_stack, tmp_path)


def check_the_page(media_stack: dict[str, str], tmp_path: Path) -> None:
    submitted = submit_collection(media_stack, ACCOUNTS, CAP)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(submitted["status_url"])
        check_running(page)
        page.screenshot(path=tmp_path / "running.png")
        page.wait_for_selector("body[data-status=done]", timeout=180_000)  # it reloads itself
        result = call("GET", f"{submitted['status_url']}?format=json")[1]
        check_done(page, result)
        page.screenshot(path=tmp_path / "done.png", full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page is wider than a phone: {width}"
        with page.expect_navigation() as navigation:
            page.click("#json-link")
        response = navigation.value
        assert response.status == 200 and response.headers["content-type"].startswith(
            "application/json"
        )
        assert response.json()["id"] == submitted["id"]


def check_running(page: Page) -> None:
    assert page.locator("body").get_attribute("data-status") == "running", (
        "the collection ended before it could be seen running"
    )
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    assert page.locator("progress#progress").is_visible()
    assert page.locator("h1").inner_text() == "The media of 3 accounts"
    facts = page.locator(".facts").inner_text()
    for label in ("accounts ended", "images stored", "bytes stored", "upstream calls",
                  "time left"):  # fmt: skip
        assert label in facts, facts
    assert "of 3" in facts, facts
    value = evaluate(page, "document.querySelector('progress').value")
    assert isinstance(value, int | float) and 0 <= value < 1


def check_done(page: Page, result: dict) -> None:
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.locator("progress").count() == 0
    counts = result["progress"]
    facts = page.locator(".facts").inner_text()
    assert "3 of 3" in facts and "(1 failed)" in facts, facts
    assert f"{counts['images_stored']:,}" in facts and counts["images_stored"] == CAP
    assert size(counts["bytes_stored"]) in facts and f"{counts['upstream_calls']:,}" in facts
    rows = page.locator("#accounts tbody tr")
    assert rows.count() == 3
    by_account = {a["account"]: a for a in result["accounts"]}
    for i, account in enumerate((EMPTY, BUSY, DEACTIVATED)):
        row = rows.nth(i).inner_text().replace("\u200b", "")
        assert f"@{account}" in row, row
        if by_account[account].get("prefix"):
            assert by_account[account]["prefix"] in row, row
    assert f"{CAP}" in rows.nth(1).inner_text() and "done" in rows.nth(1).inner_text()
    assert f"failed: {REASONS['deactivated']}" in rows.nth(2).inner_text()
    assert rows.nth(2).get_attribute("data-status") == "failed"
