"""The Cloud Functions kindred deploys: one list for the local stack and for deployment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    """A Cloud Function: `target` is its entry point in functions/main.py."""

    name: str
    target: str
    trigger: str  # "http" (public), "task" (called by Cloud Tasks only) or "cron" (Cloud Scheduler)
    health_path: str | None = None
    schedule: str | None = None  # cron syntax, for Cloud Scheduler
    local_every: float | None = None  # seconds between local cron calls (the stack's own cron)


FUNCTIONS: tuple[Function, ...] = (
    Function("api", "api", "http", health_path="/healthz"),
    Function("tasks", "tasks", "task"),
    Function("scheduler", "scheduler", "cron", schedule="* * * * *", local_every=10.0),
    Function("sweeper", "sweeper", "cron", schedule="*/10 * * * *", local_every=60.0),
)
