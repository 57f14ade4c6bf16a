"""The cost an analysis reports is what the services saw: tasks in the Cloud Tasks emulator's
dispatch log, upstream calls at the graph server, Storage writes as objects in the bucket (the
analysis's own, and the follows lists it stored for later analyses, each written once)."""

from __future__ import annotations

from pathlib import Path

from support.api import analyse, call
from support.stack import bucket, generations, written

from kindred_infra.tasks_emulator import read_dispatches

ACCOUNT = "u6017542.ego-twitter.test"


def test_the_reported_cost_is_what_the_emulators_and_the_graph_server_saw(fast_stack):
    before = call("GET", fast_stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"]
    entries = generations(fast_stack, "follows/")
    result = analyse(fast_stack, ACCOUNT, {"max_followers": 250, "results": 47})
    upstream = call("GET", fast_stack["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"] - before
    stored = written(entries, generations(fast_stack, "follows/"))
    analysis, cost = result["id"], result["cost"]

    dispatched = {
        d.task.rsplit("/", 1)[1]
        for d in read_dispatches(Path(fast_stack["KINDRED_HOME"]) / "tasks")
        if d.task.rsplit("/", 1)[1].startswith(analysis) and not d.duplicate
    }
    objects = list(bucket(fast_stack).list_blobs(prefix=f"analyses/{analysis}/"))

    print(f"reported {cost}; observed: {len(dispatched)} tasks dispatched, {upstream} upstream "
          f"calls, {len(objects)} objects, {len(stored)} follows lists stored")  # fmt: skip
    assert cost["tasks"] == len(dispatched)
    assert cost["upstream_calls"] == upstream
    assert cost["storage_writes"] == len(objects) + len(stored)
    assert len(stored) + result["followers_reused"] == result["followers_analyzed"]
