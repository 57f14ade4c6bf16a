"""One measured figure, and how a run's figures are printed and kept (`bench/results.json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
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


@dataclass(frozen=True)
class Part:
    """One part of the bench (`bench.__main__.PARTS`) as last measured: by what, when, where."""

    command: str
    mode: str
    finished: str
    seconds: float
    machine: dict[str, Any]
    figures: list[Figure]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "figures": [f.as_dict() for f in self.figures]}


def figure_from(data: dict[str, Any]) -> Figure:
    names = {f.name for f in fields(Figure)}
    return Figure(**{k: v for k, v in data.items() if k in names})


def write_parts(path: Path, parts: dict[str, Part]) -> None:
    body = {"parts": {name: part.as_dict() for name, part in parts.items()}}
    path.write_text(json.dumps(body, indent=2) + "\n")


def read_parts(path: Path) -> dict[str, Part]:
    """The parts kept in `results.json`; none when there is no file yet."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {
        name: Part(**{**part, "figures": [figure_from(f) for f in part["figures"]]})
        for name, part in data.get("parts", {}).items()
    }
