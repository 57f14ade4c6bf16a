"""The growth plot: calls, writes, wall time and peak memory against the account's followers."""

from __future__ import annotations

from pathlib import Path

from bench.crawl import GROWTH_RATE, Run


def growth(runs: list[Run], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    from matplotlib import pyplot

    followers = [run.result["followers_analyzed"] for run in runs]
    panels = [
        ("upstream calls", [run.graph_requests for run in runs]),
        ("Firestore writes", [run.cost["firestore_writes"] for run in runs]),
        (f"wall time at {GROWTH_RATE:g}/s (s)", [run.analysis.seconds for run in runs]),
        ("tasks function peak RSS (MB)", [run.peak_rss_mb for run in runs]),
    ]
    figure, axes = pyplot.subplots(1, len(panels), figsize=(16, 4))
    for axis, (title, values) in zip(axes, panels, strict=True):
        axis.plot(followers, values, marker="o")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("followers analysed")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        for x, y in zip(followers, values, strict=True):
            axis.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(4, 4))
    figure.suptitle("kindred: what an analysis spends as the account grows (synthetic accounts)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
