"""How the CLI shows an analysis: a progress bar while it runs (with the ranking so far, on a
terminal), a table when it is done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text


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
    with _analysis_bar(console) as progress:
        bar = progress.add_task("analysis", total=1, stage="queued", counts="", left="")
        yield lambda report: _show_calls(progress, bar, report)


@contextmanager
def analysis_progress(err: Console, out: Console, interim: bool) -> Iterator[StatusSink]:
    """The progress bar (`progress_bar`, on `err`); with `interim` and `out` a terminal, one
    live display on `out` instead: the bar and, beneath it, the ranking so far (the status's
    `interim`) redrawn as it changes, the table dropped once the analysis is done."""
    if not (interim and out.is_terminal):
        with progress_bar(err) as update:
            yield update
        return
    progress = _analysis_bar(out, live=False)  # drawn by the Live, not by a live of its own
    bar = progress.add_task("analysis", total=1, stage="queued", counts="", left="")
    with Live(progress, console=out, refresh_per_second=4, transient=False) as live:

        def update(report: dict[str, Any]) -> None:
            _show_calls(progress, bar, report)
            rows = max(out.height - 9, 3)  # a frame taller than the screen is cut
            view = interim_view(report, rows) if report["status"] != "done" else None
            live.update(progress if view is None else Group(progress, view), refresh=True)

        yield update


def _analysis_bar(console: Console, live: bool = True) -> Progress:
    """The analysis's bar: the stage, the calls made of those expected, the counts, time left."""
    columns = (
        TextColumn("[bold]{task.fields[stage]:<17}"),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[counts]}"),
        TextColumn("{task.fields[left]}"),
    )
    return Progress(*columns, console=console, transient=False, auto_refresh=live)


def _show_calls(progress: Progress, bar: TaskID, report: dict[str, Any]) -> None:
    calls = report["progress"]
    progress.update(
        bar,
        total=max(calls["upstream_calls_expected"], 1),
        completed=calls["upstream_calls"],
        stage=STAGES.get(report["status"], report["status"]),
        counts=_counts(report),
        left=_left(report),
    )


def interim_view(report: dict[str, Any], rows: int) -> Group | None:
    """The ranking so far, its first `rows` accounts, between a line that says what it rests
    on and one that says what its score is and how far it moved; None before the first."""
    shown = report.get("interim")
    if not shown or not shown["results"]:
        return None
    moved = shown["moved"]
    since = (
        f"; {moved['changed']:.0%} of it new since the last one (footrule {moved['footrule']:.2f})"
        if moved
        else ""
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("#", "right"), ("account", "left"), ("overlap", "right"),
                            ("share", "right")):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for rank, row in enumerate(shown["results"][:rows], 1):
        table.add_row(str(rank), row["handle"] or row["id"], f"{row['overlap']:,}",
                      f"{row['score']:.4f}")  # fmt: skip
    if len(shown["results"]) > rows:
        table.add_row("", f"... {len(shown['results']) - rows:,} more", "", "")
    return Group(
        Text(
            f"So far: {shown['groups']:,} groups, {shown['followers']:,} followers "
            f"({shown['basis']:.0%} of the audience), by overlap share",
            style="bold",
        ),
        table,
        Text(
            f"share = overlap / {shown['followers_analyzed']:,} followers read{since}; the "
            "similarity score needs the candidates' profiles, read at the end",
            style="dim",
        ),
    )


def _log_lines(console: Console) -> StatusSink:
    def line(report: dict[str, Any]) -> str:
        stage = STAGES.get(report["status"], report["status"])
        share = report["progress"]["share"]
        return f"{stage}: {share:.0%}, {_counts(report)}, {_left(report)}"

    return _every_few_seconds(console, line)


def _every_few_seconds(console: Console, line: Callable[[dict[str, Any]], str]) -> StatusSink:
    """A plain line every LOG_EVERY seconds and at each change of status: for logs and pipes."""
    last: dict[str, Any] = {"at": -LOG_EVERY, "status": ""}

    def update(report: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last["at"] < LOG_EVERY and report["status"] == last["status"]:
            return
        last.update(at=now, status=report["status"])
        console.print(line(report), highlight=False)

    return update


def _counts(report: dict[str, Any]) -> str:
    progress = report["progress"]
    fast = progress.get("fast") if report["status"] != "done" else None
    if fast:  # fast mode: what its last decision rested on
        return (
            f"round {fast['round']}: {fast['followers_sampled']:,} followers sampled, "
            f"{fast['candidates_verified']:,} candidates verified, "
            f"confidence {fast['confidence']:.0%}, "
            f"~{progress['upstream_calls']:,}/{progress['upstream_calls_expected']:,} calls planned"
        )
    return (
        f"~{progress['followers_estimate']:,}/{progress['followers_in_scope']:,} followers, "
        f"~{progress['upstream_calls']:,}/{progress['upstream_calls_expected']:,} calls"
    )


def _left(report: dict[str, Any], key: str = "estimated_seconds_left") -> str:
    if report["status"] == "done":
        return "done"
    seconds = report["progress"].get(key)
    return "" if seconds is None else f"about {_duration(seconds)} left"


def result_table(result: dict[str, Any]) -> Table:
    account = result["account"]
    caption = (
        f"{result['followers_analyzed']:,} of {result['followers_in_scope']:,} "
        f"followers analysed (coverage {result['coverage']:.0%})"
    )
    if result.get("estimate"):
        caption = estimate_caption(result)
    table = Table(
        title=f"Accounts most like {account['handle']}",
        caption=caption,
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
    # A handle is what a user copies: whole; the name gives way when the width is short.
    handles = [similar["handle"] for similar in result["similar"]]
    table.columns[1].min_width = max(map(len, handles), default=6)
    table.columns[1].no_wrap = True
    table.columns[2].no_wrap, table.columns[2].overflow = True, "ellipsis"
    for rank, similar in enumerate(result["similar"], 1):
        table.add_row(
            str(rank),
            similar["handle"],
            similar["display_name"],
            ("" if similar.get("verified", True) else "~") + f"{similar['overlap']:,}",
            f"{similar['followers_count']:,}",
            f"{similar['score']:.4f}",
        )
    return table


def estimate_caption(result: dict[str, Any]) -> str:
    """What a fast analysis read, and how sure its answer is."""
    fast = result["fast"]
    return (
        f"an estimate (fast mode): {fast['followers_sampled']:,} of "
        f"{result['followers_in_scope']:,} followers sampled ({fast['sample_share']:.1%}), "
        f"{fast['candidates_verified']:,} of {fast['candidates']:,} candidates verified"
        f"{_bounded(fast)} (~: overlap estimated); expected to be {result['confidence']:.0%} "
        "the exact answer"
    )


def _bounded(fast: dict[str, Any]) -> str:
    bounded = fast.get("candidates_bounded") or 0
    return f", {bounded:,} read in part until they could not reach the answer" if bounded else ""


def cost_line(result: dict[str, Any]) -> str:
    cost = result["cost"]
    return (
        f"cost: {cost['upstream_calls']:,} upstream calls, {cost['tasks']:,} tasks;\n"
        f"      Firestore {cost['firestore_writes']:,} writes, {cost['firestore_reads']:,} reads; "
        f"Storage {cost['storage_writes']:,} writes, {cost.get('storage_reads', 0):,} reads"
    ) + (
        f"\n      (the exact mode: about {result['fast']['upstream_calls_exact']:,} upstream calls)"
        if result.get("fast")
        else ""
    )


def _reused(followers: int | None) -> str:
    """How many followers' follows came from stored lists, when some did."""
    return f"; {followers:,} from stored follows" if followers else ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


@contextmanager
def collection_progress(console: Console) -> Iterator[StatusSink]:
    """A bar over the estimated time (the accounts ended while there is none), with the
    accounts done and failed, the images, bytes and calls, and the time left."""
    with job_progress(
        console, "collecting", _collection_share, _collection_counts,
        lambda report: _left(report, "seconds_left"),
    ) as update:  # fmt: skip
        yield update


def _collection_share(report: dict[str, Any]) -> float:
    """The estimate's share of the time, else the share of the accounts ended."""
    counts = report["progress"]
    if report["status"] == "done":
        return 1.0
    if counts.get("share") is not None:
        return float(counts["share"])
    return (counts["accounts_done"] + counts["accounts_failed"]) / max(counts["accounts_total"], 1)


def _collection_counts(report: dict[str, Any]) -> str:
    counts = report["progress"]
    ended = counts["accounts_done"] + counts["accounts_failed"]
    pending = counts.get("images_pending")
    waiting = f" ({pending:,} to fetch)" if pending else ""
    return (
        f"{ended:,}/{counts['accounts_total']:,} accounts ({counts['accounts_failed']:,} failed), "
        f"{counts['images_stored']:,} images{waiting}, {size(counts['bytes_stored'])} stored, "
        f"{counts['upstream_calls']:,} calls"
    )


def collection_table(result: dict[str, Any]) -> Table:
    """One row per account: images stored, their size, and why it failed when it did."""
    counts = result["progress"]
    table = Table(
        title=f"Collection {result['id']}",
        caption=f"{counts['images_stored']:,} images ({counts['images_fetched']:,} fetched, "
        f"{counts['images_already_stored']:,} already stored), {size(counts['bytes_stored'])}, "
        f"{counts['upstream_calls']:,} upstream calls",
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("account", overflow="fold")
    table.add_column("images", justify="right")
    table.add_column("size", justify="right")
    table.add_column("status", overflow="fold")
    for account in result.get("accounts", []):
        table.add_row(
            account["account"],
            f"{account['images']:,}",
            size(account["bytes"]),
            _account_status(account),
        )
    return table


def _account_status(account: dict[str, Any]) -> str:
    if account["status"] == "failed":
        return f"failed: {account.get('reason') or 'unknown'}"
    notes = [f"{n} {reason}" for reason, n in sorted((account.get("failed") or {}).items())]
    if account.get("missing"):
        notes.append(f"{account['missing']} missing")
    return "done" + (f" ({', '.join(notes)} not stored)" if notes else "")


def media_location(result: dict[str, Any]) -> str | None:
    """Where the collection's files are: the provider's folder, `gs://BUCKET/media/PROVIDER/`,
    which holds each account's `{did}/`; None when no account reached its images."""
    prefixes = [a["prefix"] for a in result.get("accounts", []) if a.get("prefix")]
    return prefixes[0].rstrip("/").rsplit("/", 1)[0] + "/" if prefixes else None


def size(count: int) -> str:
    """Bytes as people read them: 980 B, 9.7 MB, 1.2 GB (powers of 1,000)."""
    if count < 1000:
        return f"{count} B"
    value = count / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


@contextmanager
def export_progress(console: Console) -> Iterator[StatusSink]:
    """A bar over the shards written, with their bytes."""
    with job_progress(
        console, "exporting",
        _export_share,
        _export_counts,
    ) as update:  # fmt: skip
        yield update


def _export_share(report: dict[str, Any]) -> float:
    counts = report["progress"]
    return counts["shards_done"] / max(counts["shards_total"] or 0, 1)


def _export_counts(report: dict[str, Any]) -> str:
    counts = report["progress"]
    total = counts["shards_total"]
    if total is None:
        return "planning the shards"
    return (
        f"{counts['shards_done']:,}/{total:,} shards, "
        f"{size(counts['bytes_done'])} of {size(counts['bytes_total'] or 0)}"
    )


@contextmanager
def job_progress(
    console: Console,
    working: str,
    share: Callable[[dict[str, Any]], float],
    counts: Callable[[dict[str, Any]], str],
    left: Callable[[dict[str, Any]], str] = lambda report: "",
) -> Iterator[StatusSink]:
    """A bar over a job's `share` done (0 to 1), with its `counts` and the time `left`.

    On a terminal it redraws; otherwise it prints a plain line every LOG_EVERY seconds and
    when the job ends.
    """

    def stage(report: dict[str, Any]) -> str:
        return "done" if report["status"] == "done" else working

    def line(report: dict[str, Any]) -> str:
        remaining = left(report)
        suffix = f", {remaining}" if remaining and remaining != "done" else ""
        return f"{stage(report)}: {counts(report)}{suffix}"

    if not console.is_terminal:
        yield _every_few_seconds(console, line)
        return
    columns = (
        TextColumn("[bold]{task.fields[stage]:<10}"),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[counts]}"),
        TextColumn("{task.fields[left]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(working, total=1, stage=working, counts="", left="")

        def update(report: dict[str, Any]) -> None:
            progress.update(bar, total=1, completed=share(report), stage=stage(report),
                            counts=counts(report), left=left(report))  # fmt: skip

        yield update


@contextmanager
def pull_progress(console: Console, total: int, already: int) -> Iterator[Callable[[int], None]]:
    """A bar over the shards' bytes (`already` of them on disk at the start) with the bytes per
    second and the time left; yields the callable the pull's threads give each chunk's size.

    On a terminal it redraws; otherwise it prints a plain line every LOG_EVERY seconds.
    """
    if not console.is_terminal:
        yield _pull_lines(console, total, already)
        return
    columns = (
        TextColumn("[bold]pulling"),
        BarColumn(bar_width=20),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("pull", total=max(total, 1), completed=already)
        yield lambda count: progress.advance(bar, count)


def _pull_lines(console: Console, total: int, already: int) -> Callable[[int], None]:
    """Plain progress lines for logs and pipes: thread-safe, as the pull's threads call it."""
    lock = threading.Lock()
    began = time.monotonic()
    fetched = [0]

    def line(report: dict[str, Any]) -> str:
        rate = report["rate"]
        left = (total - already - fetched[0]) / rate if rate > 0 else None
        return (
            f"pulling: {size(already + fetched[0])} of {size(total)}, {size(int(rate))}/s, "
            f"about {_duration(left)} left"
        )

    show = _every_few_seconds(console, line)

    def add(count: int) -> None:
        with lock:
            fetched[0] += count
            elapsed = time.monotonic() - began
            show({"status": "pulling", "rate": fetched[0] / elapsed if elapsed > 0 else 0.0})

    return add
