"""When a failed task runs again, or whether it is dropped: Cloud Tasks' retry rules as arithmetic.

Pure functions of the attempt count and times passed in, so the schedule is tested without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """A queue's RetryConfig in seconds; max_attempts <= 0 or max_retry_duration 0: no limit."""

    max_attempts: int = 100
    max_retry_duration: float = 0.0
    min_backoff: float = 0.1
    max_backoff: float = 3600.0
    max_doublings: int = 16

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed attempt (1 for the first failure).

        The interval starts at min_backoff, doubles max_doublings times, then grows linearly by
        min_backoff * 2**max_doublings per retry, and is capped at max_backoff: with 10 s, 300 s
        and 3 doublings that is 10, 20, 40, 80, 160, 240, 300, 300, ... (the Cloud Tasks docs).
        """
        step = max(0, failures - 1)
        doublings = max(0, self.max_doublings)
        if step <= doublings:
            interval = self.min_backoff * 2.0**step
        else:
            interval = self.min_backoff * 2.0**doublings * (step - doublings + 1)
        return min(self.max_backoff, interval)

    def exhausted(self, attempts: int, first_attempt: float, now: float) -> bool:
        """True when no further attempt may be made.

        Cloud Tasks stops only when every limit that is set is reached: `max_attempts` attempts
        made *and* `max_retry_duration` passed since the first attempt. An unset limit
        (-1 attempts, 0 s) never stops it on its own.
        """
        attempts_limited = self.max_attempts > 0
        age_limited = self.max_retry_duration > 0
        if not (attempts_limited or age_limited):
            return False
        attempts_done = not attempts_limited or attempts >= self.max_attempts
        age_done = not age_limited or now - first_attempt >= self.max_retry_duration
        return attempts_done and age_done

    def next_attempt(self, attempts: int, first_attempt: float, now: float) -> float | None:
        """When to try again after a failure at `now` (all `attempts` failed), or None to drop."""
        if self.exhausted(attempts, first_attempt, now):
            return None
        return now + self.delay(attempts)
