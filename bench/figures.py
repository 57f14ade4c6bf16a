"""One measured figure, and how a run's figures are printed and kept (`bench/results.json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """A measurement beside the baseline measured in the same run.

    `ratio` is value / baseline; `target` says in words what the figure should reach, and `met`
    whether it did (None when the figure has no target).
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def write(figures: list[Figure], path: Path, meta: dict[str, Any]) -> None:
    path.write_text(
        json.dumps({**meta, "figures": [f.as_dict() for f in figures]}, indent=2) + "\n"
    )


def read(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = json.loads(path.read_text())
    return {k: v for k, v in data.items() if k != "figures"}, data["figures"]
