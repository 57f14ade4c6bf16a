"""Google Cloud clients, built lazily and pointed at the emulators when the settings say so.

The same application code runs against Cloud Tasks, Firestore and Cloud Storage and against
the local stack: only the channel differs, and it is chosen here from `Settings`.
"""

from __future__ import annotations

from functools import cache

import google.cloud.storage as storage
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore, tasks_v2

from kindred.config import Settings


@cache
def firestore_client(settings: Settings) -> firestore.Client:
    # With FIRESTORE_EMULATOR_HOST set, the client itself uses the emulator without credentials.
    return firestore.Client(project=settings.project)


@cache
def storage_client(settings: Settings) -> storage.Client:
    if settings.storage_emulator_host:
        return storage.Client(project=settings.project, credentials=AnonymousCredentials())
    return storage.Client(project=settings.project)


@cache
def tasks_client(settings: Settings) -> tasks_v2.CloudTasksClient:
    if settings.tasks_emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(settings.tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()
