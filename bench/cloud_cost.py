"""Figure 7: what an analysis would cost in the cloud, from the operations it was counted to
make on the local stack and the list prices in `bench/prices.json` (dated there).

Cloud Functions (gen2) bill each request's duration, rounded up to 100 ms, at the function's
memory and vCPU; the durations are the emulator's deliveries of this analysis, which include
the local upstream's answer time. Cloud Tasks bills its operations (a create and a delivery a
task); Storage bills a class A operation per object written and a class B per object read,
both counted (`cost.storage_reads`: the lookups of stored follows lists among them, decision
0011; a result from before reads were counted is taken as one read per object written).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.crawl import Run, seed_writes
from bench.figures import Figure

PRICES = Path(__file__).with_name("prices.json")


def breakdown(run: Run, prices: dict[str, Any], firestore_writes: int | None = None) -> dict:
    """USD by service for one analysis; `firestore_writes` replaces the counted writes."""
    cost = run.cost
    functions, tasks = prices["cloud_functions_gen2"], prices["cloud_tasks"]
    firestore, storage = prices["firestore"], prices["cloud_storage"]
    step = functions["billed_increment_seconds"]
    billed = sum(math.ceil(seconds / step) * step for seconds in run.deliveries)
    invocations = cost["tasks"] + 1  # every task, and the submission
    writes = cost["firestore_writes"] if firestore_writes is None else firestore_writes
    return {
        "functions": invocations * functions["invocations_per_million"] / 1e6
        + billed * functions["vcpu"] * functions["vcpu_second"]
        + billed * functions["memory_gib"] * functions["gib_second"],
        "tasks": cost["tasks"]
        * tasks["operations_per_task"]
        * tasks["operations_per_million"]
        / 1e6,
        "firestore": cost["firestore_reads"] * firestore["reads_per_100k"] / 1e5
        + writes * firestore["writes_per_100k"] / 1e5,
        "storage": (
            cost["storage_writes"] * storage["class_a_per_1k"]
            + cost.get("storage_reads", cost["storage_writes"]) * storage["class_b_per_1k"]
        )
        / 1e3,
        "billed_function_seconds": billed,
        "invocations": invocations,
    }


def figure(run: Run) -> Figure:
    prices = json.loads(PRICES.read_text())
    ours = breakdown(run, prices)
    seed = breakdown(run, prices, firestore_writes=seed_writes(run))
    services = ("functions", "tasks", "firestore", "storage")
    return Figure(
        f"cloud cost per analysis, {run.account}",
        sum(ours[s] for s in services),
        "USD",
        sum(seed[s] for s in services),
        "the same with the seed's writes",
        {
            **{f"usd_{s}": round(ours[s], 6) for s in services},
            "billed_function_seconds": round(ours["billed_function_seconds"], 1),
            "invocations": ours["invocations"],
            "prices_as_of": prices["as_of"].split(",")[0],
            "followers_analyzed": run.result["followers_analyzed"],
        },
    )
