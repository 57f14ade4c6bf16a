"""What the status and the result say, over the in-memory fakes: one vocabulary for both."""

from __future__ import annotations

import json
import re

import pytest
from support.fakes import World
from test_pipeline_logic import random_graph, run

from kindred.core import retry
from kindred.core.errors import NotFound, RetryLater
from kindred.core.options import AnalysisOptions
from kindred.services import pipeline, reports
from kindred.services.submit import submit
from kindred.web.api import OPENAPI

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_status_and_result_share_their_names_and_times_are_rfc3339() -> None:
    world = World(random_graph(3))
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    running = reports.status(world.deps(), submitted.id)
    assert running["status"] == "followers"
    assert running["progress"]["upstream_calls_expected"] > 0
    assert running["progress"]["estimated_seconds_left"] > 0
    run(world)
    status = reports.status(world.deps(), submitted.id)
    result = reports.result(world.deps(), submitted.id)
    assert {key: result[key] for key in status} == status  # the result adds, never renames
    assert result["account"]["display_name"] == "A0"
    assert result["followers_in_scope"] == status["progress"]["followers_in_scope"]
    assert result["progress"]["upstream_calls"] == result["cost"]["upstream_calls"]
    assert result["progress"]["share"] == 1.0
    for time in ("created_at", "started_at", "updated_at", "finished_at"):
        assert RFC3339.match(result[time]), (time, result[time])
    assert result["sweeper_moves"] == 0 and result["error"] is None


class GoneTarget(World):
    """The target disappears after it was looked up: its followers cannot be read."""

    def deps(self):
        deps = super().deps()
        graph = deps.graph("local")

        def followers(actor, cursor, limit):
            raise NotFound(f"account {actor} not found upstream")

        graph.followers = followers
        return deps


def test_an_analysis_whose_followers_cannot_be_read_fails_at_once_with_a_reason() -> None:
    world = GoneTarget(random_graph(3))
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    _, step, payload = world.queue.pending.popleft()
    pipeline.deliver(world.deps(), step, payload)
    assert not world.queue.pending  # nothing continues
    report = reports.status(world.deps(), submitted.id)
    assert report["status"] == "failed"
    assert report["error"]["reason"] == "not_found"
    assert "a0" in report["error"]["message"] and "submit it again" in report["error"]["message"]
    assert report["progress"]["estimated_seconds_left"] is None
    assert RFC3339.match(report["finished_at"])


class FailingUpstream(World):
    def deps(self):
        deps = super().deps()

        def followers(actor, cursor, limit):
            raise RetryLater("503 from the upstream")

        deps.graph("local").followers = followers
        return deps


def test_followers_that_keep_failing_end_the_analysis_after_the_last_retry() -> None:
    world = FailingUpstream(random_graph(3))
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    _, step, payload = world.queue.pending.popleft()
    for attempt in range(retry.GIVE_UP_AFTER):
        deps = world.deps()
        deps.attempt = attempt
        with pytest.raises(RetryLater):
            pipeline.deliver(deps, step, dict(payload))
    deps = world.deps()
    deps.attempt = retry.GIVE_UP_AFTER
    pipeline.deliver(deps, step, dict(payload))
    report = reports.status(world.deps(), submitted.id)
    assert (report["status"], report["error"]["reason"]) == ("failed", "upstream_error")
    assert "again later" in report["error"]["message"]


def test_the_openapi_document_describes_every_field_of_the_status_and_the_result() -> None:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    status_schema = schemas["Status"]
    result_extra = schemas["Result"]["allOf"][1]["properties"]
    world = World(random_graph(4))
    submitted = submit(world.deps(), "a0", "local", AnalysisOptions())
    run(world)
    status = reports.status(world.deps(), submitted.id)
    result = reports.result(world.deps(), submitted.id)
    assert set(status) == set(status_schema["required"]) == set(status_schema["properties"])
    assert set(result) == set(status) | set(result_extra)
    progress = schemas["Progress"]
    assert set(status["progress"]) == set(progress["required"]) == set(progress["properties"])
    assert set(status["account"]) == set(schemas["Account"]["properties"])
    similar = result_extra["similar"]["items"]["properties"]
    assert all(set(row) == set(similar) for row in result["similar"])
