"""How the CLI shows an analysis: a progress bar while it runs, a table when it is done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class StatusSink(Protocol):
    def __call__(self, report: dict[str, Any]) -> None: ...


@contextmanager
def progress_bar(console: Console) -> Iterator[StatusSink]:
    """A bar over the follower groups crawled, with the stage and the estimated time left."""
    columns = (
        TextColumn("[bold]{task.fields[stage]:<11}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} groups"),
        TimeElapsedColumn(),
        TextColumn("about {task.fields[left]} left"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("analysis", total=1, stage="queued", left="?")

        def update(report: dict[str, Any]) -> None:
            done = report["status"] == "done"
            counts = report["progress"]
            total = max(counts["groups_total"], 1)
            progress.update(
                bar,
                total=total,
                completed=total if done else counts["groups_done"],
                stage=report["status"],
                left=_duration(report.get("estimated_seconds_left")),
            )

        yield update


def result_table(result: dict[str, Any]) -> Table:
    account = result["account"]
    table = Table(
        title=f"Accounts most like {account['handle']} "
        f"({result['followers_analyzed']:,} followers analysed, coverage {result['coverage']:.0%})",
        title_justify="left",
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
        f"cost: {cost['upstream_calls']:,} upstream calls, {cost['tasks']:,} tasks, "
        f"{cost['firestore_writes']} Firestore writes, {cost['firestore_reads']} reads, "
        f"{cost['storage_writes']} Storage writes"
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
