"""Times as users and documents read them: RFC 3339 in UTC, from the epoch seconds stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def rfc3339(epoch: float, timespec: str = ...) -> str: ...
@overload
def rfc3339(epoch: None, timespec: str = ...) -> None: ...
def rfc3339(epoch: float | None, timespec: str = "milliseconds") -> str | None:
    """`2024-05-01T12:00:00.123Z`: UTC, to the millisecond (or to `timespec`); None for None."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, UTC).isoformat(timespec=timespec)
    return moment.replace("+00:00", "Z")
