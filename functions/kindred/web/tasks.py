"""The task handler: Cloud Tasks delivers each pipeline step here as `POST /<step>`.

Answers decide what the queue does next: 2xx done (also for a step that failed for good and
was recorded), 503 try again later with the queue's backoff.
"""

from __future__ import annotations

import flask

from kindred import bootstrap
from kindred.core.errors import FailedForGood, NotFound, RetryLater
from kindred.services.aggregate import aggregate_step
from kindred.services.crawl import followers_step, follows_step
from kindred.services.rank import profiles_step, rank_step
from kindred.web.responses import error_response, json_response, log

STEPS = {
    "followers": followers_step,
    "follows": follows_step,
    "aggregate": aggregate_step,
    "profiles": profiles_step,
    "rank": rank_step,
}


def handle(request: flask.Request) -> flask.Response:
    step = STEPS.get(request.path.strip("/"))
    payload = request.get_json(silent=True)
    if step is None or not isinstance(payload, dict) or "analysis" not in payload:
        # Answer 2xx: the queue must not retry a task that can never succeed.
        log.error("dropped a malformed task: %s %s", request.path, request.data[:200])
        return json_response({"dropped": "malformed task"}, 200)
    deps = bootstrap.deps()
    try:
        step(deps, payload)
    except RetryLater as error:
        log.warning("step %s of %s will be retried: %s", request.path, payload["analysis"], error)
        return error_response(503, "retry_later", str(error))
    except (FailedForGood, NotFound) as error:
        log.error("step %s of %s failed for good: %s", request.path, payload["analysis"], error)
        return json_response({"failed": str(error)}, 200)
    return json_response({"ok": True, "cost": deps.meter.as_dict()})
