"""Task-name de-duplication: a name stays taken for a while after its task ran or was deleted.

Cloud Tasks refuses a CreateTask whose explicit name matches a live task or one that finished or
was deleted within about an hour; the design relies on that to make enqueueing idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WINDOW = 3600.0


@dataclass(frozen=True)
class DedupWindow:
    """How long (seconds) a finished or deleted task's name stays unusable."""

    seconds: float = DEFAULT_WINDOW

    def blocks(self, gone_at: float | None, now: float) -> bool:
        """True when a name whose task went away at `gone_at` (None: never) is still taken."""
        return gone_at is not None and now - gone_at < self.seconds

    def expired_before(self, now: float) -> float:
        """Tombstones older than this time no longer block anything and may be forgotten."""
        return now - self.seconds
