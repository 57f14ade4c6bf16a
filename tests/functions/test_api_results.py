"""The results URL answers JSON or a page by Accept, says so in Vary, and ?format=json wins."""

from __future__ import annotations

from support.fakes import World
from support.functions import function_client

from kindred.core.options import AnalysisOptions
from kindred.services import pipeline
from kindred.services.submit import submit
from kindred.web import api

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_results_answer_depends_on_accept_and_says_so(monkeypatch):
    world = World([(n, 0) for n in range(1, 9)] + [(n, n % 3 + 1) for n in range(1, 9)])
    analysis = submit(world.deps(), "a0", "local", AnalysisOptions()).id
    while world.queue.pending:
        _, step, body = world.queue.pending.popleft()
        pipeline.deliver(world.deps(), step, body)
    monkeypatch.setattr(api.bootstrap, "deps", world.deps)
    client = function_client("api")
    url = f"/analyses/{analysis}/results"

    page = client.get(url, headers={"Accept": BROWSER})
    assert page.mimetype == "text/html" and page.headers["Vary"] == "Accept"
    assert f"{url}?format=json" in page.get_data(as_text=True)

    as_json = client.get(url, headers={"Accept": "application/json"})
    assert as_json.mimetype == "application/json" and as_json.headers["Vary"] == "Accept"
    assert as_json.get_json()["id"] == analysis and as_json.get_json()["status"] == "done"

    forced = client.get(f"{url}?format=json", headers={"Accept": BROWSER})
    assert forced.mimetype == "application/json" and forced.get_json() == as_json.get_json()
