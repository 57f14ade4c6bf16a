"""The results page as a person sees it in a real headless Chromium: the progress of a running
analysis, reloading itself until it turns into the table of similar accounts, whose links lead
to the JSON of the same analysis. It writes the README's two screenshots."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page
from support.api import call, finished, submit
from support.browser import PHONE, chromium, evaluate
from support.stack import paced

from kindred.web.html import STAGES

ACCOUNT = "u115485051.ego-twitter.test"  # 3,383 followers: the first 600 take ~40 s at 20/s
PACE = 20.0  # upstream calls/s, the local stack's own, whatever an earlier test set
OPTIONS = {"max_followers": 600}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DONE_CLIP = {"x": 0, "y": 0, "width": 1280, "height": 1200}  # the summary and the first rows
RUNNING_STAGES = {STAGES[s] for s in ("queued", "followers", "follows", "aggregating", "profiles")}


def test_the_page_shows_progress_then_the_result_and_links_to_its_json(local_stack):
    with paced(local_stack, PACE):
        check_the_page(local_stack)


def check_the_page(local_stack: dict) -> None:
    submitted = submit(local_stack, ACCOUNT, OPTIONS)
    assert not submitted["existing"], "an earlier run's analysis came back: nothing to see running"
    account = call("GET", submitted["status_url"])[1]["account"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page()
        loads = []
        page.on("load", lambda _: loads.append(time.monotonic()))
        page.goto(submitted["results_url"])

        check_running(page, account)
        wait_for_share(page, 0.3)
        page.wait_for_event("load")  # just reloaded: the screenshot falls between two reloads
        assert page.locator("body").get_attribute("data-status") != "done"
        page.screenshot(path=SCREENSHOTS / "running.png")

        page.wait_for_selector("#similar", timeout=180_000)  # the page reloads itself
        assert len(loads) > 2, "the page did not reload itself"
        result = finished(submitted)
        check_done(page, account, result)
        page.screenshot(path=SCREENSHOTS / "done.png", full_page=True, clip=DONE_CLIP)

        check_phone_width(page)
        for link, path in (
            ("#json-link", f"/analyses/{submitted['id']}/results?format=json"),
            ("#status-link", f"/analyses/{submitted['id']}"),
        ):
            follow_to_json(page, link, path, submitted["id"])


def check_running(page: Page, account: dict) -> None:
    assert page.locator("h1").inner_text() == account["display_name"]
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    assert page.locator("progress#progress").is_visible()
    assert page.locator(".stage").inner_text() in RUNNING_STAGES
    facts = page.locator(".facts").inner_text()
    assert "followers analysed" in facts and "of 600" in facts, facts
    assert "upstream calls" in facts and "time left" in facts, facts


def wait_for_share(page: Page, share: float, timeout: float = 60) -> None:
    """Until the progress bar (on whichever reload of the page) shows `share` done."""
    deadline = time.monotonic() + timeout
    seen = 0.0
    while time.monotonic() < deadline:
        seen = evaluate(page, "document.querySelector('progress')?.value ?? -1") or 0.0
        if seen == -1:
            raise AssertionError("the analysis finished before it could be seen running")
        if seen >= share:
            return
        time.sleep(0.2)
    raise AssertionError(f"the progress bar stayed at {seen} for {timeout:.0f} s")


def check_done(page: Page, account: dict, result: dict) -> None:
    assert page.locator("body").get_attribute("data-status") == "done"
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.locator("h1").inner_text() == account["display_name"]
    rows = page.locator("#similar tbody tr")
    assert rows.count() == len(result["similar"]) == 50
    first = result["similar"][0]
    assert f"@{first['handle']}" in rows.first.inner_text()
    assert f"{first['score']:.4f}" in rows.first.inner_text()
    assert "cosine similarity" in page.locator("#score-note").inner_text()
    assert page.locator(".popular li").count() == len(result["popular"])
    pictures = page.evaluate(
        "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length"
    )
    assert pictures == 51, "the target's and the 50 accounts' pictures should all load"


def check_phone_width(page: Page) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is wider than a phone: {width}"


def follow_to_json(page: Page, link: str, path: str, analysis: str) -> None:
    with page.expect_navigation() as navigation:
        page.click(link)
    response = navigation.value
    assert response.url.endswith(path) and response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["id"] == analysis
    page.go_back()
