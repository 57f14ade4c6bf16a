"""`kindred logs`: the local stack's log files, kindred's JSON lines shown readably.

Each part writes `logs/NAME.log` (see `plan.part_log`); the functions write JSON lines
(`kindred.logs`), shown here as time, severity and message with the analysis and step; any
other line is shown as it is. Every line starts with its part's name.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from kindred_infra.stack.plan import StackOptions, part_log, plan

PartLog = tuple[str, Path]  # a part's name and its log file


def part_logs(home: Path, part: str | None = None) -> list[PartLog]:
    """Every part's log file, or only `part`'s; ValueError naming the known parts if unknown."""
    options = StackOptions(home=home)
    names = [spec.name for spec in plan(options)]
    if part is not None and part not in names:
        raise ValueError(f"no part {part!r} in the local stack; the parts: {', '.join(names)}")
    return [(name, part_log(options.logs, name)) for name in names if part in (None, name)]


def read(logs: Sequence[PartLog]) -> Iterator[tuple[str, str]]:
    """(part, line) for every line in the logs now, one part after another."""
    for name, path in logs:
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            yield name, line


def follow(
    logs: Sequence[PartLog], poll: float = 0.25, sleep: Callable[[float], None] = time.sleep
) -> Iterator[tuple[str, str]]:
    """(part, line) for every line there is, then for each new one as it is written; forever.

    A log that does not exist yet is picked up when it appears, and one that a new `kindred up`
    set aside (or truncated) is read again from its start.
    """
    tails = [_Tail(name, path) for name, path in logs]
    try:
        while True:
            quiet = True
            for tail in tails:
                for line in tail.new_lines():
                    quiet = False
                    yield tail.part, line
            if quiet:
                sleep(poll)
    finally:  # Ctrl-C, or the caller is done with it
        for tail in tails:
            tail.close()


class _Tail:
    """The lines written to one file since the last look, whole lines only."""

    def __init__(self, part: str, path: Path):
        self.part, self.path = part, path
        self.file: TextIO | None = None
        self.partial = ""

    def new_lines(self) -> list[str]:
        lines = self._read()
        if self._replaced():
            lines += self._read()  # the old file's last lines, then the new file's
            lines += [self.partial] if self.partial else []
            self.close()
        if self.file is None:
            self._open()
            lines += self._read()
        return lines

    def _read(self) -> list[str]:
        if self.file is None:
            return []
        *lines, self.partial = (self.partial + self.file.read()).split("\n")
        return lines

    def _replaced(self) -> bool:
        if self.file is None:
            return False
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            return True
        held = os.fstat(self.file.fileno())
        return now.st_ino != held.st_ino or now.st_size < self.file.tell()

    def _open(self) -> None:
        try:
            self.file = self.path.open(errors="replace")
        except FileNotFoundError:
            self.file = None
        self.partial = ""

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file = None


def render(part: str, line: str, width: int = 0) -> str:
    """One log line for a person: `PART  TIME SEVERITY message  analysis=... step=...`."""
    entry = _entry(line)
    if entry is None:
        return f"{part:<{width}}  {line}".rstrip()
    message = str(entry.get("message", ""))
    shown = [
        f"{key}={entry[key]}"
        for key in ("analysis", "step")
        if entry.get(key) and str(entry[key]) not in message
    ]
    head = f"{part:<{width}}  {_clock(entry.get('time'))} {entry.get('severity', ''):<7} "
    first, *more = message.split("\n")
    lines = [head + first + ("  " + " ".join(shown) if shown else "")]
    lines += [" " * len(head) + line for line in more]  # a traceback stays under its message
    return "\n".join(line.rstrip() for line in lines)


def _entry(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "message" in entry else None


def _clock(stamp: Any) -> str:
    """`14:03:22.123` in local time, from an RFC 3339 stamp; blanks when there is none."""
    try:
        moment = datetime.fromisoformat(str(stamp)).astimezone()
    except ValueError:
        return " " * 12
    return moment.strftime("%H:%M:%S.%f")[:12]
