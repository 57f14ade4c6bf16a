"""How the CLI shows an analysis: a progress bar while it runs, a table when it is done."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table


class StatusSink(Protocol):
    def __call__(self, report: dict[str, Any]) -> None: ...


STAGES = {
    "queued": "waiting to start",
    "followers": "listing followers",
    "follows": "reading follows",
    "aggregating": "counting",
    "profiles": "reading profiles",
    "done": "done",
    "failed": "failed",
}
LOG_EVERY = 5.0  # seconds between plain progress lines when stderr is not a terminal


@contextmanager
def progress_bar(console: Console) -> Iterator[StatusSink]:
    """A bar over the upstream calls, with the stage, the followers and the time left.

    On a terminal it redraws; otherwise (a log, a pipe) it prints a plain line every few
    seconds and at each change of stage.
    """
    if not console.is_terminal:
        yield _log_lines(console)
        return
    columns = (
        TextColumn("[bold]{task.fields[stage]:<17}"),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[counts]}"),
        TextColumn("{task.fields[left]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("analysis", total=1, stage="queued", counts="", left="")

        def update(report: dict[str, Any]) -> None:
            calls = report["progress"]
            progress.update(
                bar,
                total=max(calls["upstream_calls_expected"], 1),
                completed=calls["upstream_calls"],
                stage=STAGES.get(report["status"], report["status"]),
                counts=_counts(report),
                left=_left(report),
            )

        yield update


def _log_lines(console: Console) -> StatusSink:
    last: dict[str, Any] = {"at": -LOG_EVERY, "status": ""}

    def update(report: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last["at"] < LOG_EVERY and report["status"] == last["status"]:
            return
        last.update(at=now, status=report["status"])
        stage = STAGES.get(report["status"], report["status"])
        share = report["progress"]["share"]
        console.print(f"{stage}: {share:.0%}, {_counts(report)}, {_left(report)}", highlight=False)

    return update


def _counts(report: dict[str, Any]) -> str:
    progress = report["progress"]
    return (
        f"~{progress['followers_estimate']:,}/{progress['followers_in_scope']:,} followers, "
        f"~{progress['upstream_calls']:,}/{progress['upstream_calls_expected']:,} calls"
    )


def _left(report: dict[str, Any]) -> str:
    if report["status"] == "done":
        return "done"
    seconds = report["progress"].get("estimated_seconds_left")
    return "" if seconds is None else f"about {_duration(seconds)} left"


def result_table(result: dict[str, Any]) -> Table:
    account = result["account"]
    table = Table(
        title=f"Accounts most like {account['handle']}",
        caption=f"{result['followers_analyzed']:,} of {result['followers_in_scope']:,} "
        f"followers analysed (coverage {result['coverage']:.0%})",
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column, justify in (
        ("#", "right"),
        ("handle", "left"),
        ("name", "left"),
        ("overlap", "right"),
        ("followers", "right"),
        ("score", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rank, similar in enumerate(result["similar"], 1):
        table.add_row(
            str(rank),
            similar["handle"],
            similar["display_name"],
            f"{similar['overlap']:,}",
            f"{similar['followers_count']:,}",
            f"{similar['score']:.4f}",
        )
    return table


def cost_line(result: dict[str, Any]) -> str:
    cost = result["cost"]
    return (
        f"cost: {cost['upstream_calls']:,} upstream calls, {cost['tasks']:,} tasks;\n"
        f"      Firestore {cost['firestore_writes']:,} writes, {cost['firestore_reads']:,} reads; "
        f"Storage {cost['storage_writes']:,} writes"
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
