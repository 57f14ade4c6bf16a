"""Times as users and documents read them: RFC 3339 in UTC, from the epoch seconds stored."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")
