"""GET /collections/{id} answers a browser with the page and anyone else with JSON, as the
analysis's results do; its JSON is every field the OpenAPI document describes, and no other,
while it runs (images waiting on the blob queue) and once done. Through the Flask test client,
on the fakes, with the graph server's media answered in-process."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from support.fakes import World

from kindred.services import pipeline
from kindred.web import api

BUSY = "u71391606.ego-twitter.test"  # far over the cap
CAP = 5
SCHEMA = json.loads(api.OPENAPI.read_text())["components"]["schemas"]["CollectionStatus"]


def run(world: World, steps: tuple[str, ...] | None = None) -> None:
    """Deliver the queued tasks (only those of `steps`, when given; the others stay queued)."""
    held = []
    while world.queue.pending:
        task = world.queue.pending.popleft()
        if steps is None or task[1] in steps:
            pipeline.deliver(world.deps(), task[1], task[2])
        else:
            held.append(task)
    world.queue.pending.extend(held)


def submitted(api_client) -> str:
    body = {"accounts": [BUSY], "options": {"max_per_account": CAP}}
    answer = api_client.post("/collections", json=body)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["id"]


def test_a_browser_gets_the_page_and_json_is_asked_for_by_accept_or_format(api_client, media_world):
    collection = submitted(api_client)
    url = f"/collections/{collection}"
    page = api_client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Vary"] == "Accept"
    text = page.get_data(as_text=True)
    assert "<meta http-equiv=refresh" in text and f"/collections/{collection}?format=json" in text
    HTMLParser().feed(text)
    for answer in (
        api_client.get(url),
        api_client.get(url, headers={"Accept": "application/json"}),
        api_client.get(f"{url}?format=json", headers={"Accept": "text/html"}),
    ):
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        assert answer.headers["Vary"] == "Accept" and answer.get_json()["id"] == collection
    missing = api_client.get("/collections/abcdefgh1234", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_the_json_is_what_the_openapi_document_says_running_and_done(api_client, media_world):
    collection = submitted(api_client)
    run(media_world, ("collect", "media"))  # every feed read; its images wait on the blob queue
    running = api_client.get(f"/collections/{collection}").get_json()
    progress = running["progress"]
    assert progress["accounts_reading"] == 0 and progress["images_pending"] == CAP
    assert progress["seconds_left"] > CAP / progress["blob_rate"]
    assert 0 <= progress["share"] < 1
    run(media_world)
    done = api_client.get(f"/collections/{collection}").get_json()
    assert done["progress"]["seconds_left"] == 0 and done["progress"]["share"] == 1
    assert done["progress"]["images_stored"] == CAP and done["progress"]["feed_pages"] >= 1
    for report in (running, done):
        assert set(SCHEMA["required"]) <= set(report) <= set(SCHEMA["properties"])
        described = SCHEMA["properties"]["progress"]
        assert set(report["progress"]) == set(described["required"]) == set(described["properties"])
    row = SCHEMA["properties"]["accounts"]["items"]
    assert set(row["required"]) <= set(done["accounts"][0]) <= set(row["properties"])
    html = api_client.get(f"/collections/{collection}", headers={"Accept": "text/html"})
    assert f"@{BUSY.replace('.', '.<wbr>')}" in html.get_data(as_text=True)
