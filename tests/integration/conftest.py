from __future__ import annotations

import grpc
import pytest
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
from google.protobuf import field_mask_pb2

TEST_RATE = 100.0  # dispatches/s on the upstream queue: the suite's time, not the design's


@pytest.fixture(scope="session")
def fast_stack(local_stack: dict[str, str]) -> dict[str, str]:
    """The session's stack with its upstream queue sped up (the graph server has no limit)."""
    channel = grpc.insecure_channel(local_stack["CLOUD_TASKS_EMULATOR_HOST"])
    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    project, location = local_stack["GOOGLE_CLOUD_PROJECT"], local_stack["KINDRED_LOCATION"]
    parent = f"projects/{project}/locations/{location}"
    queue = tasks_v2.Queue(
        name=f"{parent}/queues/upstream-local",
        rate_limits=tasks_v2.RateLimits(
            max_dispatches_per_second=TEST_RATE, max_burst_size=20, max_concurrent_dispatches=16
        ),
    )
    client.update_queue(queue=queue, update_mask=field_mask_pb2.FieldMask(paths=["rate_limits"]))
    return local_stack
