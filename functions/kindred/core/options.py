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
    mode: str = "exact"  # "fast": a sample and a stopping rule (core.sampling)
    score: str = "cosine"  # "weighted": each follower's vote weighted by 1/follows (core.weights)

    @property
    def reuse(self) -> bool:
        """Whether stored follows lists are looked up, and lists read in full stored: in the
        exact mode with the plain score (a stored list carries no weights, and fast mode's
        sample is read by its own rounds)."""
        return self.max_age > 0 and self.mode == "exact" and self.score == "cosine"

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)


BOUNDS: dict[str, tuple[int, int]] = {
    "max_followers": (1, 1_000_000),
    "max_follows_per_follower": (1, 100_000),
    "top_candidates": (1, 1_000),
    "results": (1, 1_000),
    "max_age": (0, 30 * 86_400),  # the bucket's lifecycle rule deletes entries at 30 days
}
CHOICES: dict[str, tuple[str, ...]] = {
    "mode": ("exact", "fast"),
    "score": ("cosine", "weighted"),
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
    values: dict[str, Any] = {name: _checked(name, value) for name, value in raw.items()}
    options = AnalysisOptions(**values)
    if options.results > options.top_candidates:
        raise InvalidInput(
            f"results ({options.results}) cannot exceed top_candidates ({options.top_candidates})",
            "options.results",
        )
    if options.mode == "fast" and options.score == "weighted":
        raise InvalidInput(
            "score 'weighted' needs mode 'exact': fast mode verifies candidates by their "
            "followers, whose own follows counts it does not read",
            "options.score",
        )
    return options


def _checked(name: str, value: Any) -> int | str:
    if name in CHOICES:
        if value not in CHOICES[name] or not isinstance(value, str):
            allowed = " or ".join(repr(choice) for choice in CHOICES[name])
            raise InvalidInput(f"{name} must be {allowed}, not {value!r}", f"options.{name}")
        return str(value)
    low, high = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer, not {value!r}", f"options.{name}")
    if not low <= value <= high:
        raise InvalidInput(
            f"{name} must be between {low} and {high}, not {value}", f"options.{name}"
        )
    return value


def options_from_stored(stored: Mapping[str, Any]) -> AnalysisOptions:
    """Options read back from the job store or a message (checked when they were written).

    An option added since the first four (`max_age`, `mode`, `score`) takes its default when
    absent: a document or a message written before it existed; one of the first four missing
    raises KeyError, and a choice not offered ValueError."""
    defaults = AnalysisOptions()
    values: dict[str, Any] = {}
    for name in (f.name for f in fields(AnalysisOptions)):
        values[name] = stored[name] if name in FIRST else stored.get(name, getattr(defaults, name))
        if name in CHOICES and values[name] not in CHOICES[name]:
            raise ValueError(f"{name} {values[name]!r} is not one of {CHOICES[name]}")
    return AnalysisOptions(**values)


FIRST = ("max_followers", "max_follows_per_follower", "top_candidates", "results")
