"""The results table, printed and kept in `bench/README.md` between its two markers."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from bench.figures import Figure, Part

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def table(figures: list[Figure]) -> str:
    """A Markdown table: readable in a terminal and in the README alike."""
    lines = [
        "| figure | value | unit | baseline | ratio | target |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for f in figures:
        baseline = "" if f.baseline is None else f"{_number(f.baseline)} ({f.baseline_label})"
        ratio = "" if f.ratio is None else f"{f.ratio:.3f}"
        target = f"{f.target}: {'met' if f.met else 'MISSED'}" if f.met is not None else f.target
        lines.append(
            f"| {f.name} | {_number(f.value)} | {f.unit} | {baseline} | {ratio} | {target} |"
        )
    return "\n".join(lines)


def _number(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def update_readme(path: Path, parts: dict[str, Part]) -> None:
    """Replace the README's results section: each part's table under the run that measured it."""
    lines = [BEGIN]
    for part in parts.values():
        machine = part.machine
        lines += [
            f"`{part.command}` ({part.mode}), finished {part.finished} in "
            f"{part.seconds / 60:.1f} min, on {machine['cpus']} x {machine['cpu']}, "
            f"{machine['memory_gib']} GiB, Python {machine['python']}:",
            "",
            table(part.figures),
            "",
        ]
    section = "\n".join([*lines[:-1], END])
    readme = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(head + section + tail)


def module_main(run: Callable[[bool], list[Figure]], doc: str, argv: list[str] | None) -> int:
    """`python -m bench.MODULE [--quick]`: one module's figures, printed as the table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    print(table(run(args.quick)))
    print(f"whole: {time.perf_counter() - began:.0f} s")
    return 0
