"""Plain-text tables for the terminal: columns as wide as their widest cell, within 80 columns."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH = 80
NARROWEST = 6  # a column is never cut below this many characters


def aligned(
    rows: Sequence[Sequence[str]], width: int = WIDTH, indent: str = "  ", gap: str = "  "
) -> list[str]:
    """The rows as lines of left-aligned columns, each column as wide as its widest cell.

    No line is longer than `width`: past it, the widest column is narrowed and its longer
    cells are cut, ending in "~".
    """
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    room = width - len(indent) - len(gap) * (len(widths) - 1)
    while sum(widths) > room and max(widths) > NARROWEST:
        widths[widths.index(max(widths))] -= 1
    return [
        (indent + gap.join(_fit(cell, w) for cell, w in zip(row, widths, strict=True))).rstrip()
        for row in rows
    ]


def _fit(cell: str, width: int) -> str:
    return (cell if len(cell) <= width else cell[: width - 1] + "~").ljust(width)
