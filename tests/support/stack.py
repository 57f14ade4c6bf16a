"""Starting the local stack from tests: on free ports, never on a developer's running one."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage, tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from google.protobuf import duration_pb2, field_mask_pb2

from kindred_infra import stack
from kindred_infra.stack.control import read_env_file

TEST_RATE = 100.0  # dispatches/s on the upstream queue: the suite's time, not the design's
# The local stack's upstream queues: the graph server's AppView dialect and its Mastodon one,
# and the Mastodon dialect's media files.
UPSTREAM_QUEUES = ("upstream-local", "upstream-mastodon-local", "upstream-mastodon-local-blobs")


def tasks_client(local_stack: dict[str, str]) -> tasks_v2.CloudTasksClient:
    channel = grpc.insecure_channel(local_stack["CLOUD_TASKS_EMULATOR_HOST"])
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


def queue_path(local_stack: dict[str, str], queue: str = "upstream-local") -> str:
    project, location = local_stack["GOOGLE_CLOUD_PROJECT"], local_stack["KINDRED_LOCATION"]
    return f"projects/{project}/locations/{location}/queues/{queue}"


def speed_up(local_stack: dict[str, str], quick_retries: bool = False) -> dict[str, str]:
    """Raise the stack's upstream queues to TEST_RATE (its graph server must have no limit);
    with `quick_retries`, their backoff too (0.5 s to 2 s instead of 2 s to 120 s), for tests
    whose upstream fails every delivery until the step gives up: the same deliveries, sooner."""
    client = tasks_client(local_stack)
    fields = ["rate_limits", "retry_config"] if quick_retries else ["rate_limits"]
    for name in UPSTREAM_QUEUES:
        queue = tasks_v2.Queue(
            name=queue_path(local_stack, name),
            rate_limits=tasks_v2.RateLimits(
                max_dispatches_per_second=TEST_RATE, max_burst_size=20, max_concurrent_dispatches=16
            ),
            retry_config=tasks_v2.RetryConfig(
                min_backoff=duration_pb2.Duration(nanos=500_000_000),
                max_backoff=duration_pb2.Duration(seconds=2),
                max_doublings=2,
            ),
        )
        client.update_queue(queue=queue, update_mask=field_mask_pb2.FieldMask(paths=fields))
    return local_stack


def bucket(env: dict[str, str]) -> storage.Bucket:
    """The stack's bucket, through the unmodified google-cloud-storage client."""
    client = storage.Client(
        project=env["GOOGLE_CLOUD_PROJECT"],
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": env["STORAGE_EMULATOR_HOST"]},
    )
    return client.bucket(env["KINDRED_BUCKET"])


def generations(env: dict[str, str], prefix: str) -> dict[str, int]:
    """The objects under `prefix` and their generations (a new one at each write)."""
    return {blob.name: int(blob.generation) for blob in bucket(env).list_blobs(prefix=prefix)}


def written(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """The objects of `after` made or rewritten since `before` (two `generations`)."""
    return {name for name, generation in after.items() if before.get(name) != generation}


@contextlib.contextmanager
def running(options: stack.StackOptions) -> Iterator[dict[str, str]]:
    """The stack of `options` up, yielding its `stack.env`; always stopped again."""
    stack.up(options)
    try:
        yield read_env_file(options.home)
    finally:
        stack.down(options.home)


def step_entries(log: Path, analysis: str) -> list[dict]:
    """The JSON log lines of a function's steps for one job (analysis, collection, export)."""
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [entry for entry in entries if entry.get("analysis") == analysis and "step" in entry]


@contextlib.contextmanager
def paced(
    local_stack: dict[str, str], rate: float, queue: str = "upstream-local"
) -> Iterator[None]:
    """The queue at `rate` dispatches/s (slow enough to watch), then as it was."""
    client = tasks_client(local_stack)
    before = client.get_queue(name=queue_path(local_stack, queue)).rate_limits
    mask = field_mask_pb2.FieldMask(paths=["rate_limits"])

    def set_limits(limits: tasks_v2.RateLimits) -> None:
        updated = tasks_v2.Queue(name=queue_path(local_stack, queue), rate_limits=limits)
        client.update_queue(queue=updated, update_mask=mask)

    set_limits(
        tasks_v2.RateLimits(
            max_dispatches_per_second=rate,
            max_burst_size=before.max_burst_size,
            max_concurrent_dispatches=before.max_concurrent_dispatches,
        )
    )
    try:
        yield
    finally:
        set_limits(before)
