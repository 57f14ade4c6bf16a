"""What an analysis spends, counted by the pipeline itself as it goes.

Each task invocation has one `Meter`, and each adapter counts its own operations on it as
they happen. What an invocation spent rides on in what it writes or sends: a Meter inside a
message, a document or a JSON object takes in, as the adapter writes it, everything the
invocation counted since it last carried (the write itself included), so every operation is
carried exactly once and the final result adds up every step without a write per step.
Operations after an invocation's last carrying write (a fan-in check that finds the stage
unfinished: two reads) are counted on its Meter but carried nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Meter:
    upstream_calls: int = 0
    firestore_writes: int = 0
    firestore_reads: int = 0
    tasks: int = 0
    storage_writes: int = 0
    storage_reads: int = 0  # objects read (a stored follows list looked up is one)
    mails: int = 0  # messages an SMTP server accepted
    _carried: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def take(self) -> Meter:
        """What was counted since the last take: for one carrying write to hold."""
        now = self.as_dict()
        since = Meter(**{name: value - self._carried.get(name, 0) for name, value in now.items()})
        self._carried = now
        return since

    def add(self, other: Meter) -> Meter:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)
        return self

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    @classmethod
    def from_dict(cls, raw: Any) -> Meter:
        raw = raw or {}
        return cls(**{name: int(raw.get(name, 0)) for name in COUNTERS})

    @classmethod
    def total(cls, meters: Any) -> Meter:
        result = cls()
        for meter in meters:
            result.add(meter if isinstance(meter, Meter) else cls.from_dict(meter))
        return result


COUNTERS = tuple(Meter().as_dict())


def carried(data: Any, invocation: Meter) -> Any:
    """`data` as it is written: each Meter in it takes in what `invocation` counted since it
    last carried, and is written as its counts (the same Meter written twice holds both)."""
    if isinstance(data, Meter):
        return data.add(invocation.take()).as_dict()
    if isinstance(data, Mapping):
        return {key: carried(value, invocation) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [carried(value, invocation) for value in data]
    return data
