"""The record of a running stack (`.kindred/stack.json`): which process is which part.

`kindred down` stops exactly what `up` started: each part is recorded with its pid and the
kernel's start time of that pid, so a pid reused by another program is never signalled.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RunningPart:
    name: str
    pid: int
    start_ticks: int | None
    endpoint: str
    health_url: str | None
    port: int
    log: str
    # How it was started, so that `kindred restart PART` starts it again the same way.
    argv: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True)
class StackRecord:
    started_at: float
    startup_seconds: float
    parts: tuple[RunningPart, ...]

    def serves_media(self) -> bool:
        """Whether its graph server was started with posts and images (`kindred up --media`)."""
        return any(part.name == "graph" and "--media" in part.argv for part in self.parts)


def state_file(home: Path) -> Path:
    return home / "stack.json"


def save(home: Path, record: StackRecord) -> None:
    """Written owner-only: the functions' environments hold the stack's keys."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = state_file(home).with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(state_file(home))


def load(home: Path) -> StackRecord | None:
    try:
        raw = json.loads(state_file(home).read_text())
    except FileNotFoundError:
        return None
    parts = tuple(
        RunningPart(**{**part, "argv": tuple(part.get("argv", ()))}) for part in raw["parts"]
    )
    return StackRecord(raw["started_at"], raw["startup_seconds"], parts)


def forget(home: Path) -> None:
    state_file(home).unlink(missing_ok=True)


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after its ")" are plain.
    return int(stat.rsplit(")", 1)[1].split()[19])


def is_alive(part: RunningPart) -> bool:
    """The recorded process still runs (and is the same process, not a reused pid)."""
    ticks = start_ticks(part.pid)
    return ticks is not None and (part.start_ticks is None or ticks == part.start_ticks)
