"""Cloud Tasks queue settings from `queue.yaml`, the one place they are written down.

The deploy script and the local Cloud Tasks emulator both read the file through this module, so
the cloud and the local stack cannot drift apart. It parses the App Engine `queue.yaml` syntax
into frozen values and maps each to a `tasks_v2.Queue`; it does no I/O beyond reading the file.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.cloud import tasks_v2

QUEUE_ID = re.compile(r"[A-Za-z0-9-]{1,100}")
_RATE = re.compile(r"(\d+(?:\.\d+)?)/([smhd])")
_AGE = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_QUEUE_KEYS = {"name", "rate", "bucket_size", "max_concurrent_requests", "retry_parameters"}
_RETRY_KEYS = {
    "task_retry_limit",
    "task_age_limit",
    "min_backoff_seconds",
    "max_backoff_seconds",
    "max_doublings",
}
MAX_RATE = 500.0  # Cloud Tasks' largest max_dispatches_per_second
MAX_BURST = 500
MAX_CONCURRENT = 5000


class QueueConfigError(ValueError):
    """queue.yaml is malformed; the message names the file, the queue and the field."""


@dataclass(frozen=True)
class RetrySpec:
    """`retry_parameters`; None means "not given: Cloud Tasks picks its default"."""

    task_retry_limit: int | None = None
    task_age_limit: float | None = None  # seconds
    min_backoff_seconds: float | None = None
    max_backoff_seconds: float | None = None
    max_doublings: int | None = None


@dataclass(frozen=True)
class QueueSpec:
    """One queue of queue.yaml, with `rate` already converted to dispatches per second."""

    name: str
    rate: float
    bucket_size: int | None = None
    max_concurrent_requests: int | None = None
    retry: RetrySpec = field(default_factory=RetrySpec)


def load(path: str | Path) -> list[QueueSpec]:
    """Read and validate a queue.yaml file; raises QueueConfigError, OSError."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise QueueConfigError(f"{path}: not valid YAML: {error}") from error
    return parse(document, source=str(path))


def parse(document: Any, source: str = "queue.yaml") -> list[QueueSpec]:
    """Validate an already-loaded queue.yaml document; raises QueueConfigError."""
    if not isinstance(document, Mapping) or set(document) != {"queue"}:
        found = sorted(document) if isinstance(document, Mapping) else type(document).__name__
        raise QueueConfigError(f"{source}: expected one top-level key 'queue', found {found}")
    entries = document["queue"]
    if not isinstance(entries, list):
        raise QueueConfigError(f"{source}: 'queue' must be a list, found {type(entries).__name__}")
    specs: list[QueueSpec] = []
    for index, entry in enumerate(entries):
        spec = _queue(entry, f"{source}: queue #{index + 1}")
        if any(seen.name == spec.name for seen in specs):
            raise QueueConfigError(f"{source}: queue '{spec.name}' is defined twice")
        specs.append(spec)
    return specs


def parse_rate(text: str) -> float:
    """`20/s`, `5/m`, `5000/h`, `1/d` -> dispatches per second; raises ValueError."""
    match = _RATE.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"rate {text!r} is not N/s, N/m, N/h or N/d")
    return float(match[1]) / _UNIT_SECONDS[match[2]]


def parse_age(text: str) -> float:
    """`1d`, `2h`, `30m`, `90s` -> seconds; raises ValueError."""
    match = _AGE.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"age {text!r} is not a number followed by s, m, h or d")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def to_queue(spec: QueueSpec, parent: str) -> tasks_v2.Queue:
    """The Cloud Tasks queue for a spec under `projects/P/locations/L`; unset fields stay 0."""
    retry = spec.retry
    config = tasks_v2.RetryConfig(
        max_attempts=retry.task_retry_limit or 0,
        max_doublings=retry.max_doublings or 0,
    )
    if retry.task_age_limit is not None:
        config.max_retry_duration = datetime.timedelta(seconds=retry.task_age_limit)
    if retry.min_backoff_seconds is not None:
        config.min_backoff = datetime.timedelta(seconds=retry.min_backoff_seconds)
    if retry.max_backoff_seconds is not None:
        config.max_backoff = datetime.timedelta(seconds=retry.max_backoff_seconds)
    return tasks_v2.Queue(
        name=f"{parent}/queues/{spec.name}",
        rate_limits=tasks_v2.RateLimits(
            max_dispatches_per_second=spec.rate,
            max_burst_size=spec.bucket_size or 0,
            max_concurrent_dispatches=spec.max_concurrent_requests or 0,
        ),
        retry_config=config,
    )


def _queue(entry: Any, where: str) -> QueueSpec:
    if not isinstance(entry, Mapping):
        raise QueueConfigError(f"{where}: expected a mapping, found {type(entry).__name__}")
    name = entry.get("name")
    if not isinstance(name, str) or not QUEUE_ID.fullmatch(name):
        raise QueueConfigError(f"{where}: name {name!r} is not 1-100 letters, digits or '-'")
    where = f"{where} '{name}'"
    _no_unknown_keys(entry, _QUEUE_KEYS, where)
    if "rate" not in entry:
        raise QueueConfigError(f"{where}: rate is required (e.g. 20/s)")
    try:
        rate = parse_rate(entry["rate"])
    except ValueError as error:
        raise QueueConfigError(f"{where}: {error}") from None
    if not 0 < rate <= MAX_RATE:
        raise QueueConfigError(f"{where}: rate {entry['rate']!r} is not in (0, {MAX_RATE:g}/s]")
    retry = entry.get("retry_parameters", {})
    if not isinstance(retry, Mapping):
        raise QueueConfigError(f"{where}: retry_parameters must be a mapping, found {retry!r}")
    return QueueSpec(
        name=name,
        rate=rate,
        bucket_size=_int(entry, "bucket_size", where, low=1, high=MAX_BURST),
        max_concurrent_requests=_int(
            entry, "max_concurrent_requests", where, low=1, high=MAX_CONCURRENT
        ),
        retry=_retry(retry, f"{where} retry_parameters"),
    )


def _retry(entry: Mapping[str, Any], where: str) -> RetrySpec:
    _no_unknown_keys(entry, _RETRY_KEYS, where)
    limit = _int(entry, "task_retry_limit", where, low=-1)
    if limit == 0:
        raise QueueConfigError(
            f"{where}: task_retry_limit 0 reads as 'unset' in Cloud Tasks (default 100 attempts);"
            " use -1 for unlimited or a positive number of attempts"
        )
    doublings = _int(entry, "max_doublings", where, low=0)
    if doublings == 0:
        raise QueueConfigError(
            f"{where}: max_doublings 0 reads as 'unset' in Cloud Tasks (default 16); use >= 1"
        )
    spec = RetrySpec(
        task_retry_limit=limit,
        task_age_limit=_age(entry, where),
        min_backoff_seconds=_seconds(entry, "min_backoff_seconds", where),
        max_backoff_seconds=_seconds(entry, "max_backoff_seconds", where),
        max_doublings=doublings,
    )
    low, high = spec.min_backoff_seconds, spec.max_backoff_seconds
    if low is not None and high is not None and low > high:
        raise QueueConfigError(
            f"{where}: min_backoff_seconds {low:g} is larger than max_backoff_seconds {high:g}"
        )
    return spec


def _no_unknown_keys(entry: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise QueueConfigError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")


def _int(
    entry: Mapping[str, Any], key: str, where: str, low: int, high: int | None = None
) -> int | None:
    if key not in entry:
        return None
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueueConfigError(f"{where}: {key} {value!r} is not a whole number")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise QueueConfigError(f"{where}: {key} {value} is not {bounds}")
    return value


def _seconds(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    if key not in entry:
        return None
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise QueueConfigError(f"{where}: {key} {value!r} is not a positive number of seconds")
    return float(value)


def _age(entry: Mapping[str, Any], where: str) -> float | None:
    if "task_age_limit" not in entry:
        return None
    try:
        age = parse_age(entry["task_age_limit"])
    except ValueError as error:
        raise QueueConfigError(f"{where}: task_age_limit: {error}") from None
    if age <= 0:
        raise QueueConfigError(f"{where}: task_age_limit {entry['task_age_limit']!r} is not > 0")
    return age
