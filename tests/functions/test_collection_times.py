"""GET /collections/{id} gives its times in RFC 3339 (UTC, to the millisecond), as the
analyses do and as the OpenAPI document says, through the Flask test client on the fakes."""

from __future__ import annotations

import json
from datetime import datetime

from kindred.services import pipeline
from kindred.web import api

RFC3339_MS = "%Y-%m-%dT%H:%M:%S.%fZ"


def test_created_and_finished_are_rfc3339_null_until_done(api_client, media_world):
    body = {"accounts": ["u14348594.ego-twitter.test"]}
    collection = api_client.post("/collections", json=body).get_json()["id"]
    running = api_client.get(f"/collections/{collection}").get_json()
    assert running["status"] == "running" and running["finished_at"] is None
    created = datetime.strptime(running["created_at"], RFC3339_MS)
    while media_world.queue.pending:
        _, step, payload = media_world.queue.pending.popleft()
        pipeline.deliver(media_world.deps(), step, payload)
    done = api_client.get(f"/collections/{collection}").get_json()
    assert done["status"] == "done" and done["created_at"] == running["created_at"]
    assert datetime.strptime(done["finished_at"], RFC3339_MS) >= created
    assert len(done["finished_at"]) == len("2024-05-01T12:00:00.123Z")


def test_the_openapi_document_says_date_time():
    schema = json.loads(api.OPENAPI.read_text())["components"]["schemas"]["CollectionStatus"]
    for name in ("created_at", "finished_at"):
        field = schema["properties"][name]
        assert field["type"] == "string" and field["format"] == "date-time"
