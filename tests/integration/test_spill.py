"""Followers who follow more than 5,000 accounts: the carried tally outgrows the payload
budget, spills to Cloud Storage, and the result is still exact."""

from __future__ import annotations

import random

import pytest
from support import expected
from support.api import analyse
from support.stack import bucket, running, speed_up

from kindred_infra import stack

TARGET, FOLLOWERS, FOLLOWS_EACH = 1, 4, 6_000


def write_graph(path) -> None:
    """Four followers of account 1, each following 6,000 accounts, half of them shared."""
    rng = random.Random(11)
    lines = [f"{follower} {TARGET}" for follower in range(2, 2 + FOLLOWERS)]
    for follower in range(2, 2 + FOLLOWERS):
        shared = range(100, 100 + FOLLOWS_EACH // 2)
        own = rng.sample(range(10_000, 60_000), FOLLOWS_EACH // 2)
        lines += [f"{follower} {followed}" for followed in [*shared, *own]]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def wide_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wide")
    write_graph(folder / "edges.txt")
    options = stack.StackOptions(
        home=folder / "home", ports=stack.free_ports(), rate_limit="0",
        graph=folder / "edges.txt", graph_name="wide",
    )  # fmt: skip
    with running(options) as env:
        yield speed_up(env), folder / "edges.txt"


def test_a_tally_past_the_payload_budget_spills_and_the_result_is_exact(wide_stack):
    env, edges = wide_stack
    options = {**expected.DEFAULTS, "max_follows_per_follower": 10_000, "top_candidates": 50}
    result = analyse(env, f"u{TARGET}.wide.test", options)
    want = expected.expected(expected.load(edges), TARGET, options, dataset="wide")
    assert result["followers_analyzed"] == FOLLOWERS
    assert [(p["id"], p["overlap"]) for p in result["popular"]] == want["popular"]
    assert result["popular"][0]["overlap"] == FOLLOWERS  # the shared accounts
    parts = list(bucket(env).list_blobs(prefix=f"analyses/{result['id']}/parts/"))
    assert len(parts) >= 2, [blob.name for blob in parts]  # one group, spilled into several runs
