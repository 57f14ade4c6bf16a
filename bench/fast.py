"""Figures 25-27: fast mode against the exact mode, and the weighted score against the plain.

25. fast mode against the exact mode, each on a fresh stack at 100/s, for each of the bundled
    graph's three largest accounts: how many of the exact top 50 fast mode's top 50 holds, and
    its upstream calls (the graph server's count) against the exact run's. Quick: the largest
    account's first 1,000 followers (the targets are for whole accounts: no verdict).
26. the same for the synthetic 100,000-follower account (`kindred_infra.synthetic`) at 125/s
    with two tasks-function workers, as the growth runs; full run only. The exact answer is
    computed directly from the graph (`kindred_infra.direct`, held equal to the tests' own
    computation, which the pipeline's answer is held equal to) and the exact mode's calls are
    its theoretical minimum (`kindred_infra.minimum`: the exact mode spends exactly that, figure
    1), since an exact run of it takes 15 minutes.
27. the two scores by the planted similar accounts of a synthetic graph: the mean rank of its
    12 planted accounts (6.5 is all of them first) under the weighted score, against the plain
    cosine, both through the pipeline and checked equal to the direct computation, on a graph
    whose popular accounts out-score the planted ones by plain cosine (`generic_cosine` 0.45:
    an audience that follows celebrities as much as its own kind), 10,000 followers (quick:
    1,000). The params give the direct ranks on the default graphs too (1k, 10k, 100k).

Run alone: `python -m bench.fast [--quick]`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench import crawl
from bench.figures import Figure
from bench.report import module_main
from kindred.core.options import AnalysisOptions
from kindred_infra import direct, synthetic
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.graph_server.identity import dataset_name_from
from kindred_infra.minimum import minimum_calls

LARGEST = (115485051, 40981798, 43003845)  # the bundled graph's three most-followed accounts
QUICK_FOLLOWERS = 1_000
SYNTHETIC = 100_000
HARD = 0.45  # generic_cosine of the graph the scores are compared on
TARGETS = {"bundled": 0.25, "synthetic": 0.05}  # calls / the exact mode's
SHARE = 0.95  # of the exact top 50
SCORES = ("cosine", "weighted")
# The exact runs with reuse off: on a fresh stack nothing is reused, so their calls are the
# same, and the plain Storage emulator's rewrite of all its metadata on each write took the
# score runs from 125 calls/s to 3 once 10,000 lists were stored (before
# kindred_infra.storage_emulator wrote it in pauses).
NO_REUSE = {"max_age": 0}


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for account in LARGEST[:1] if quick else LARGEST:
        options = {"max_followers": QUICK_FOLLOWERS} if quick else {}
        exact = crawl.analyse("exact", account, {**options, **NO_REUSE})
        fast = crawl.analyse("fast", account, {**options, "mode": "fast"})
        top = [s["id"] for s in exact.result["similar"]]
        figures += fast_figures(fast, top, exact.graph_requests, "the exact run", not quick)
    if not quick:
        figures += synthetic_figures()
    return figures + score_figures(quick)


def fast_figures(
    fast: crawl.Run, exact_top: list[str], exact_calls: int, baseline: str, verdict: bool
) -> list[Figure]:
    """How much of the exact top fast mode found, and its calls against the exact mode's."""
    result = fast.result
    found = len({s["id"] for s in result["similar"]} & set(exact_top))
    share = found / len(exact_top) if exact_top else 1.0
    target = TARGETS["synthetic" if "synthetic" in fast.account else "bundled"]
    calls_met = fast.graph_requests <= target * exact_calls
    params = {
        **fast.params(),
        "confidence": result["confidence"],
        "share_found": round(share, 4),
        **result["fast"],
    }
    return [
        Figure(
            f"fast mode: exact top 50 found, {fast.account}",
            found,
            "accounts",
            len(exact_top),
            "the exact top 50",
            params,
            f">= {SHARE:.0%} of it",
            share >= SHARE if verdict else None,
        ),
        Figure(
            f"fast mode: upstream calls, {fast.account}",
            fast.graph_requests,
            "calls",
            exact_calls,
            baseline,
            params,
            f"<= {target:.0%} of the exact mode's, the top 50 >= {SHARE:.0%} the exact one",
            calls_met and share >= SHARE if verdict else None,
        ),
    ]


def synthetic_figures() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="kindred-bench-fast-") as tmp:
        path = _write(Path(tmp), synthetic.SyntheticSpec(followers=SYNTHETIC, seed=1))
        graph = load_graph(path)
        options = {**AnalysisOptions().as_dict(), "mode": "fast"}
        want = direct.answer(graph, _dataset(path), synthetic.TARGET, options)
        exact_calls = minimum_calls(graph, synthetic.TARGET, options)
        del graph
        fast = _synthetic_run("fast", {"mode": "fast"}, path)
    top = [s.did for s in want.cosine]
    return fast_figures(fast, top, exact_calls, "the exact mode's minimum (direct)", True)


def score_figures(quick: bool) -> list[Figure]:
    followers = 1_000 if quick else 10_000
    spec = synthetic.SyntheticSpec(followers=followers, seed=1, generic_cosine=HARD)
    with tempfile.TemporaryDirectory(prefix="kindred-bench-scores-") as tmp:
        path = _write(Path(tmp), spec, "synthetic-hard")
        want = direct.answer(
            load_graph(path), _dataset(path), synthetic.TARGET, AnalysisOptions().as_dict()
        )
        runs = {
            score: _synthetic_run(score, {"score": score, **NO_REUSE}, path) for score in SCORES
        }
    planted = spec.planted_similar()
    ranks = {score: _ranks(run.result, planted) for score, run in runs.items()}
    params: dict[str, Any] = {
        "graph": f"synthetic {followers:,} followers, generic_cosine {HARD}",
        "planted": len(planted),
        **{f"ranks_{score}": r for score, r in ranks.items()},
        **{f"recall_at_{len(planted)}_{s}": _recall(r, len(planted)) for s, r in ranks.items()},
        "equal_to_direct": {
            "cosine": [s["id"] for s in runs["cosine"].result["similar"]]
            == [s.did for s in want.cosine],
            "weighted": [s["id"] for s in runs["weighted"].result["similar"]]
            == [s.did for s in want.weighted],
        },
        "calls": {score: run.graph_requests for score, run in runs.items()},
        "direct_default_graphs": _default_ranks(quick),
    }
    weighted, cosine = (_mean(ranks[s]) for s in ("weighted", "cosine"))
    same_calls = runs["weighted"].graph_requests == runs["cosine"].graph_requests
    return [
        Figure(
            f"weighted score: planted accounts' mean rank, synthetic {followers:,} (hard)",
            weighted,
            "rank",
            cosine,
            "the plain cosine's",
            params,
            "below the cosine's, the same calls",
            weighted < cosine and same_calls,
        )
    ]


def _synthetic_run(label: str, options: dict[str, Any], path: Path) -> crawl.Run:
    """The synthetic target analysed as the growth runs are: 125/s, two tasks workers."""
    return crawl.analyse(
        label, synthetic.TARGET, options, rate=crawl.GROWTH_RATE, graph=path,
        rate_limit=crawl.limit_for(crawl.GROWTH_RATE, 1.1), function_workers=crawl.GROWTH_WORKERS,
    )  # fmt: skip


def _default_ranks(quick: bool) -> dict[str, dict[str, float]]:
    """Mean planted ranks by each score on the default synthetic graphs, computed directly."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="kindred-bench-scores-") as tmp:
        for followers in (1_000,) if quick else (1_000, 10_000, 100_000):
            spec = synthetic.SyntheticSpec(followers=followers, seed=1)
            path = _write(Path(tmp), spec)
            want = direct.answer(
                load_graph(path), _dataset(path), synthetic.TARGET, AnalysisOptions().as_dict()
            )
            out[f"{followers:,}"] = {
                "cosine": _mean(direct.planted_ranks(want.cosine, spec.planted_similar())),
                "weighted": _mean(direct.planted_ranks(want.weighted, spec.planted_similar())),
            }
    return out


def _write(folder: Path, spec: synthetic.SyntheticSpec, name: str = "synthetic") -> Path:
    path = folder / f"{name}-{spec.followers}" / "edges.txt.gz"
    path.parent.mkdir()
    synthetic.write_edges(spec, path)
    return path


def _dataset(path: Path) -> str:
    return dataset_name_from(path.parent.name)


def _ranks(result: dict[str, Any], planted: tuple[int, ...]) -> list[int]:
    """Each planted account's rank in the result's similar accounts (absent: one past them)."""
    place = {int(s["handle"].split(".")[0][1:]): r for r, s in enumerate(result["similar"], 1)}
    return [place.get(account, len(result["similar"]) + 1) for account in planted]


def _recall(ranks: list[int], k: int) -> float:
    return sum(rank <= k for rank in ranks) / len(ranks)


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    return module_main(run, __doc__ or "", argv)


if __name__ == "__main__":
    raise SystemExit(main())
