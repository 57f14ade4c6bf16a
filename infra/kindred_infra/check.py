"""A round trip through every part of a running stack, to show that each one answers.

Firestore: write, read and delete a document. Cloud Storage: upload, download, delete.
Cloud Tasks: a task on a throwaway queue that the emulator dispatches to the API function.
Graph server: a profile. API: its health route. Mail: an SMTP round trip that sends nothing.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from google.cloud import tasks_v2
from google.protobuf import duration_pb2

from kindred.adapters.clients import firestore_client, storage_client, tasks_client
from kindred.config import Settings
from kindred.core.cost import Meter

DEFAULT_ACCOUNT = "u115485051.ego-twitter.test"


@dataclass(frozen=True)
class CheckResult:
    part: str
    ok: bool
    detail: str
    seconds: float


def run_checks(settings: Settings) -> list[CheckResult]:
    checks: dict[str, Callable[[Settings], str]] = {
        "firestore": _firestore,
        "storage": _storage,
        "tasks": _tasks,
        "graph": _graph,
        "api": _api,
        "mail": _mail,
    }
    return [_timed(name, check, settings) for name, check in checks.items()]


def _timed(name: str, check: Callable[[Settings], str], settings: Settings) -> CheckResult:
    began = time.monotonic()
    try:
        detail, ok = check(settings), True
    except Exception as error:  # a check reports any failure instead of stopping the others
        detail, ok = f"{type(error).__name__}: {error}", False
    return CheckResult(name, ok, detail, round(time.monotonic() - began, 3))


def _firestore(settings: Settings) -> str:
    doc = firestore_client(settings).collection("_kindred_check").document(uuid.uuid4().hex)
    doc.create({"at": time.time()})
    assert doc.get().exists, "the document written is not there"
    doc.delete()
    return f"wrote, read and deleted {doc.path}"


def _storage(settings: Settings) -> str:
    bucket = storage_client(settings).bucket(settings.bucket)
    blob = bucket.blob(f"_kindred_check/{uuid.uuid4().hex}")
    blob.upload_from_string(b"kindred")
    assert blob.download_as_bytes() == b"kindred", "the object read back differs"
    blob.delete()
    return f"wrote, read and deleted gs://{settings.bucket}/{blob.name}"


def _tasks(settings: Settings) -> str:
    client = tasks_client(settings)
    parent = f"projects/{settings.project}/locations/{settings.location}"
    queue = client.create_queue(
        parent=parent, queue=tasks_v2.Queue(name=f"{parent}/queues/check-{uuid.uuid4().hex[:12]}")
    )
    try:
        task = client.create_task(
            parent=queue.name,
            task=tasks_v2.Task(
                http_request=tasks_v2.HttpRequest(
                    url=f"{settings.api_url}/healthz", http_method=tasks_v2.HttpMethod.GET
                ),
                dispatch_deadline=duration_pb2.Duration(seconds=30),
            ),
        )
        _wait_until_gone(client, task.name, timeout=30)
    finally:
        client.delete_queue(name=queue.name)
    return f"dispatched {task.name.rsplit('/', 1)[-1]} to {settings.api_url}/healthz"


def _wait_until_gone(client: tasks_v2.CloudTasksClient, name: str, timeout: float) -> None:
    from google.api_core.exceptions import NotFound

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.get_task(name=name)
        except NotFound:
            return  # dispatched with a 2xx answer, then removed, as Cloud Tasks does
        time.sleep(0.1)
    raise TimeoutError(f"task {name} was not dispatched within {timeout:.0f} s")


def _graph(settings: Settings) -> str:
    url = f"{settings.graph_url}/xrpc/app.bsky.actor.getProfile?actor={DEFAULT_ACCOUNT}"
    profile = _get_json(url)
    return f"{profile['handle']}: {profile['followersCount']} followers"


def _api(settings: Settings) -> str:
    health = _get_json(f"{settings.api_url}/healthz")
    return f"status {health['status']}, version {health['version']}"


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _mail(settings: Settings) -> str:
    from kindred.bootstrap import mailer as configured_mailer

    mailer = configured_mailer(settings, Meter())
    if mailer is None:
        return "no SMTP server configured (KINDRED_SMTP_HOST): e-mail is off"
    return mailer.check()
