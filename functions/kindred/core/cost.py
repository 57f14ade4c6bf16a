"""What an analysis spends, counted by the pipeline itself as it goes.

Each task invocation counts its own operations in a `Meter`; chains carry the sum forward in
their payload and the chain's end stores it, so the final result adds up every step without a
write per step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Meter:
    upstream_calls: int = 0
    firestore_writes: int = 0
    firestore_reads: int = 0
    tasks: int = 0
    storage_writes: int = 0

    def add(self, other: Meter) -> Meter:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Any) -> Meter:
        raw = raw or {}
        return cls(**{f.name: int(raw.get(f.name, 0)) for f in fields(cls)})

    @classmethod
    def total(cls, meters: Any) -> Meter:
        result = cls()
        for meter in meters:
            result.add(meter if isinstance(meter, Meter) else cls.from_dict(meter))
        return result
