"""The bench's plots: growth (calls, writes, wall time and peak memory against the account's
followers) and progressive results (interim agreement against the share of calls spent)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.crawl import GROWTH_RATE, Run

if TYPE_CHECKING:
    from bench.progressive import Point


@contextmanager
def panels(path: Path, count: int, title: str, size: tuple[float, float]) -> Iterator[Any]:
    """`count` side-by-side axes, saved to `path` under `title` when the block ends."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, count, figsize=size, squeeze=False)
    try:
        yield axes[0]
        figure.suptitle(title)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        pyplot.close(figure)


def growth(runs: list[Run], path: Path) -> None:
    followers = [run.result["followers_analyzed"] for run in runs]
    series = [
        ("upstream calls", [run.graph_requests for run in runs]),
        ("Firestore writes", [run.cost["firestore_writes"] for run in runs]),
        (f"wall time at {GROWTH_RATE:g}/s (s)", [run.analysis.seconds for run in runs]),
        ("tasks function peak RSS (MB)", [run.peak_rss_mb for run in runs]),
    ]
    title = "kindred: what an analysis spends as the account grows (synthetic accounts)"
    with panels(path, len(series), title, (16, 4)) as axes:
        for axis, (name, values) in zip(axes, series, strict=True):
            axis.plot(followers, values, marker="o")
            axis.set_xscale("log")
            axis.set_yscale("log")
            axis.set_xlabel("followers analysed")
            axis.set_title(name)
            axis.grid(True, which="both", alpha=0.3)
            for x, y in zip(followers, values, strict=True):
                axis.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(4, 4))


def agreement(points: Sequence[Point], top: int, path: Path, account: str, ceiling: float) -> None:
    """Each interim's agreement with the final top `top`, by the share of calls spent when it
    was ranked: a step curve from 0 (no interim yet) to 1 (the result); dashed, `ceiling`,
    the full crawl's order by overlap against the final top (the most an interim can share)."""
    shares = [0.0] + [p.calls_share for p in points] + [1.0]
    title = f"kindred: interim rankings against the final one ({account})"
    with panels(path, 1, title, (8, 4.5)) as (axis,):
        for label, values in (
            (f"top {top} shared with the final (cosine) top {top}",
             [p.agreement for p in points]),
            (f"top {top} shared with the final order by overlap",
             [p.agreement_popular for p in points]),
        ):  # fmt: skip
            axis.step(shares, [0.0, *values, 1.0], where="post", marker="o", label=label)
        axis.axhline(ceiling, linestyle="--", color="grey",
                     label=f"the full crawl's order by overlap vs the final top {top}")  # fmt: skip
        axis.set_xlim(0, 1.02)
        axis.set_ylim(0, 1.05)
        axis.set_xlabel("share of the analysis's upstream calls spent")
        axis.set_ylabel("agreement")
        axis.grid(True, alpha=0.3)
        axis.legend(loc="lower right")
