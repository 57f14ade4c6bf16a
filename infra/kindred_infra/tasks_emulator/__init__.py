"""The project's own local Cloud Tasks emulator.

Why we wrote one: docs/decisions/0001-own-cloud-tasks-emulator.md.

It speaks the Cloud Tasks v2 gRPC API to the unmodified `google-cloud-tasks` client and dispatches
HTTP tasks the way the real service does: per-queue token bucket (rate, burst), concurrency cap,
schedule times, dispatch deadlines, retries with Cloud Tasks' backoff, task-name de-duplication,
optional injected duplicate deliveries, and state in SQLite that survives a restart.

For launchers and tests: `command()` / `service()` to run it as a child process, `client()` to
talk to it, `read_dispatches()` to see what it delivered. Importing this package does no work
and pulls in neither gRPC nor protobuf.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..process import LOOPBACK, Service, port_open
from .log import DB_NAME, Dispatch, read_dispatches

if TYPE_CHECKING:
    from google.cloud import tasks_v2

__all__ = ["DB_NAME", "Dispatch", "client", "command", "read_dispatches", "ready", "service"]


def command(
    port: int,
    state_dir: str | Path,
    *,
    queues: str | Path | None = None,
    host: str = LOOPBACK,
    project: str | None = None,
    location: str | None = None,
    duplicates: float = 0.0,
    seed: int | None = None,
    dedup_window: float | None = None,
    oidc_key_file: str | Path | None = None,
    certs_port: int | None = None,
    verbose: bool = False,
    python: str = sys.executable,
) -> list[str]:
    """The argv that runs the emulator (`python -m kindred_infra.tasks_emulator ...`)."""
    argv = [python, "-m", "kindred_infra.tasks_emulator", "--host", host, "--port", str(port)]
    argv += ["--state-dir", str(state_dir)]
    options = {
        "--queues": queues,
        "--project": project,
        "--location": location,
        "--seed": seed,
        "--dedup-window": dedup_window,
        "--oidc-key-file": oidc_key_file,
        "--certs-port": certs_port,
    }
    argv += [
        part for flag, value in options.items() if value is not None for part in (flag, str(value))
    ]
    if duplicates:
        argv += ["--duplicates", str(duplicates)]
    return argv + (["--verbose"] if verbose else [])


def service(
    port: int, state_dir: str | Path, log: Path, *, host: str = LOOPBACK, **options: object
) -> Service:
    """A `process.Service` for the emulator, healthy once its gRPC port accepts connections
    (it opens the port only after queue.yaml's queues exist). `options` go to `command()`."""
    argv = command(port, state_dir, host=host, **options)  # type: ignore[arg-type]
    return Service("cloud-tasks-emulator", argv, log, healthy=lambda: port_open(host, port))


def client(host_port: str) -> tasks_v2.CloudTasksClient:
    """An unmodified `CloudTasksClient` whose only difference is an insecure channel to us."""
    import grpc
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(host_port)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


def ready(host_port: str, parent: str = "projects/kindred-local/locations/us-central1") -> bool:
    """True when the emulator answers a ListQueues call (a stricter check than the port)."""
    from google.api_core import exceptions

    try:
        client(host_port).list_queues(parent=parent, timeout=2.0, retry=None)
    except exceptions.GoogleAPICallError:
        return False
    return True
