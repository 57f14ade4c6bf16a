"""Fast mode on the local stack: its top shares at least 95% with the answer computed directly
from the edge list, for fewer upstream calls than the exact mode's minimum (as the graph
server counts them)."""

from __future__ import annotations

from support import expected
from support.api import call, submit, wait_until
from support.expected import DEFAULTS, minimum_calls
from test_analysis_exact import graph_stats

ACCOUNT = 428333  # 1,231 followers: the first round reads about a third of them
OPTIONS = {**DEFAULTS, "top_candidates": 100, "results": 20}


def test_fast_mode_finds_the_direct_top_for_fewer_calls(fast_stack):
    before = graph_stats(fast_stack)["requests"]
    submitted = submit(fast_stack, f"u{ACCOUNT}.ego-twitter.test", {**OPTIONS, "mode": "fast"})
    seen: list[dict] = []
    wait_until(
        submitted, lambda report: seen.append(report["progress"]) or report["status"] == "done", 240
    )
    result = call("GET", submitted["results_url"])[1]
    spent = graph_stats(fast_stack)["requests"] - before
    want = expected.expected(expected.load(), ACCOUNT, OPTIONS)

    found = {s["id"] for s in result["similar"]} & {did for did, *_ in want["similar"]}
    assert len(found) >= 0.95 * len(want["similar"]), result["fast"]
    assert spent == result["cost"]["upstream_calls"] < minimum_calls(ACCOUNT, OPTIONS)
    assert (result["mode"], result["estimate"]) == ("fast", True)
    assert result["confidence"] >= 0.9 and result["fast"]["followers_sampled"] < 1_231
    # The progress bar runs to what fast mode's decisions plan (before the first, its first
    # round: a sample), not to the exact crawl.
    running = [p for p in seen[:-1] if p["upstream_calls_expected"]]
    decided = [p for p in running if p["fast"]]
    assert decided, "no decision seen while it ran"
    for p in running:
        planned = p["fast"]["calls_planned"] if p["fast"] else None
        assert p["upstream_calls"] < p["upstream_calls_expected"]
        if planned is None:
            assert p["upstream_calls_expected"] < minimum_calls(ACCOUNT, OPTIONS)
        else:
            assert p["upstream_calls_expected"] == max(planned, p["upstream_calls"] + 1)
    assert seen[-1]["upstream_calls"] == seen[-1]["upstream_calls_expected"] == spent
    exact = {did: shared for did, _, _, shared, _ in want["similar"]}
    for row in result["similar"]:  # a verified overlap is the exact one
        assert not row["verified"] or row["id"] not in exact or row["overlap"] == exact[row["id"]]
