"""The options of an analysis: defaults, bounds, and the error that names what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from kindred.core.errors import InvalidInput


@dataclass(frozen=True)
class AnalysisOptions:
    max_followers: int = 100_000  # the first N followers, in upstream order
    max_follows_per_follower: int = 5_000
    top_candidates: int = 300
    results: int = 50
    # Seconds a stored follows list stays good for this analysis (core.reuse); 0: no reuse.
    max_age: int = 7 * 86_400

    @property
    def reuse(self) -> bool:
        """Whether stored follows lists are looked up, and lists read in full stored."""
        return self.max_age > 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


BOUNDS: dict[str, tuple[int, int]] = {
    "max_followers": (1, 1_000_000),
    "max_follows_per_follower": (1, 100_000),
    "top_candidates": (1, 1_000),
    "results": (1, 1_000),
    "max_age": (0, 30 * 86_400),  # the bucket's lifecycle rule deletes entries at 30 days
}


def parse_options(raw: Any) -> AnalysisOptions:
    """Options from a request body; raises InvalidInput naming the option and its bounds."""
    if raw is None:
        return AnalysisOptions()
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"options must be an object, not {type(raw).__name__}", "options")
    known = {f.name for f in fields(AnalysisOptions)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(
            f"unknown option {unknown[0]!r}; known options: {', '.join(sorted(known))}",
            f"options.{unknown[0]}",
        )
    values = {name: _bounded(name, value) for name, value in raw.items()}
    options = AnalysisOptions(**values)
    if options.results > options.top_candidates:
        raise InvalidInput(
            f"results ({options.results}) cannot exceed top_candidates ({options.top_candidates})",
            "options.results",
        )
    return options


def _bounded(name: str, value: Any) -> int:
    low, high = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer, not {value!r}", f"options.{name}")
    if not low <= value <= high:
        raise InvalidInput(
            f"{name} must be between {low} and {high}, not {value}", f"options.{name}"
        )
    return value


def options_from_stored(stored: Mapping[str, int]) -> AnalysisOptions:
    """Options read back from the job store (already validated when they were written).

    Raises KeyError without one of the first four; an option added since (`max_age`) takes its
    default when absent: a document or a message written before it existed.
    """
    values = {name: stored[name] for name in FIRST}
    values |= {f.name: stored[f.name] for f in fields(AnalysisOptions) if f.name in stored}
    return AnalysisOptions(**values)


FIRST = ("max_followers", "max_follows_per_follower", "top_candidates", "results")
