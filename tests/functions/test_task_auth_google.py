"""In the cloud, a task handler accepts only Google OIDC tokens for the configured service
account and audience. Google's certificate endpoint is stood in for by a local server that
publishes a certificate made here, so the real google-auth verification runs end to end."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest
from google.auth import crypt, jwt
from google.cloud import tasks_v2
from support.fakes import World
from support.functions import function_client

from kindred import bootstrap
from kindred.adapters.cloud_tasks import CloudTaskQueue
from kindred.core import messages, task_signature
from kindred.core.cost import Meter
from kindred.core.options import AnalysisOptions
from kindred.services.submit import submit
from kindred.web import tasks
from kindred_infra.tasks_emulator import oidc

TASKS_URL = "https://tasks-abc123-uc.a.run.app"
ACCOUNT = "kindred-tasks@kindred-prod.iam.gserviceaccount.com"
BODY_KEY = "body-key-0123456789"


def key_and_certificate() -> tuple[bytes, bytes]:
    return oidc.new_key_and_certificate("test signer", days=1)


GOOGLE_KEY, GOOGLE_CERT = key_and_certificate()
STRANGER_KEY, _ = key_and_certificate()


@pytest.fixture
def certs_url() -> Iterator[str]:
    """Serves {key id: PEM certificate}, the shape of Google's oauth2/v1/certs."""
    body = json.dumps({"google-kid": GOOGLE_CERT.decode()}).encode()

    class Certs(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/oauth2/v1/certs"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tasks_app(monkeypatch, certs_url):
    """The tasks function as deployed: a service account, Google's certificates (here, ours),
    the body key its enqueuers sign with."""
    monkeypatch.setenv("KINDRED_SERVICE_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("KINDRED_TASKS_BODY_KEY", BODY_KEY)
    monkeypatch.setenv("KINDRED_TASKS_URL", TASKS_URL)
    monkeypatch.setenv("KINDRED_GOOGLE_CERTS_URL", certs_url)
    bootstrap.settings.cache_clear()
    return function_client("tasks")


def token(key: bytes = GOOGLE_KEY, **changes: object) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": TASKS_URL,
        "email": ACCOUNT,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
        **changes,
    }
    signer = crypt.RSASigner.from_string(key, key_id="google-kid")
    return jwt.encode(signer, claims).decode()


def deliver(app, bearer: str | None):
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    # An empty payload, signed: accepted requests are refused as unreadable before any
    # service is used.
    headers[task_signature.HEADER] = task_signature.sign(BODY_KEY, "follows", "", b"{}")
    return app.post("/follows", data=b"{}", content_type="application/json", headers=headers)


def test_a_google_signed_token_for_our_account_and_url_is_accepted(tasks_app):
    response = deliver(tasks_app, token())
    assert response.status_code == 200, response.get_json()
    assert "a follows message without 'analysis'" in response.get_json()["refused"]


@pytest.mark.parametrize(
    ("why", "bearer", "says"),
    [
        ("no token", None, "no bearer token"),
        ("another audience", token(aud="https://elsewhere.example"), "audience"),
        ("another account", token(email="someone@evil.example"), "someone@evil.example"),
        ("unverified email", token(email_verified=False), "not"),
        ("another issuer", token(iss="https://evil.example"), "issuer"),
        ("expired", token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), "xpired"),
        ("signed by a stranger", token(STRANGER_KEY), "signature"),
        ("not a token", "not.a.token", ""),
    ],
)
def test_any_other_token_is_refused_with_a_reason(tasks_app, why, bearer, says):
    response = deliver(tasks_app, bearer)
    assert response.status_code == 401, why
    body = response.get_json()
    assert body["error"] == "unauthorized" and says in body["message"], body


def signed_raw(header: object, claims: object) -> str:
    """A token signed by Google's key whatever its header and claims hold (JSON of any shape)."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    encoded = json.dumps(header).encode(), json.dumps(claims).encode()
    signed = f"{b64(encoded[0])}.{b64(encoded[1])}"
    signer = crypt.RSASigner.from_string(GOOGLE_KEY, key_id="google-kid")
    return f"{signed}.{b64(signer.sign(signed.encode()))}"


def good_claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    return {"iss": "https://accounts.google.com", "aud": TASKS_URL, "email": ACCOUNT,
            "email_verified": True, "iat": now, "exp": now + 300, **changes}  # fmt: skip


KID = {"alg": "RS256", "kid": "google-kid"}


@pytest.mark.parametrize(
    ("why", "bearer", "says"),
    [
        ("a list header", signed_raw([1], good_claims()), "header is a JSON list"),
        ("a string header", signed_raw("RS256", good_claims()), "header is a JSON str"),
        ("a null header", signed_raw(None, good_claims()), "header is a JSON NoneType"),
        ("a list key id", signed_raw({"alg": "RS256", "kid": ["x"]}, good_claims()), "kid"),
        ("a string exp", signed_raw(KID, good_claims(exp="abc")), "exp is 'abc'"),
        ("a string iat", signed_raw(KID, good_claims(iat="abc")), "iat is 'abc'"),
        ("an infinite exp", signed_raw(KID, good_claims(exp=1e400)), "not base64url JSON"),
        ("a day-long token", signed_raw(KID, good_claims(exp=int(time.time()) + 86400)), "lives"),
        ("no signature", token().rsplit(".", 1)[0] + ".", "signature"),
        ("bad base64 signature", token().rsplit(".", 1)[0] + ".@@", ""),
    ],
)
def test_a_genuinely_signed_but_malformed_token_is_a_401_never_a_500(tasks_app, why, bearer, says):
    response = deliver(tasks_app, bearer)
    assert response.status_code == 401, (why, response.get_data()[:300])
    body = response.get_json()
    assert body["error"] == "unauthorized" and says in body["message"], body


class RecordingTasksClient:
    """Stands in for CloudTasksClient: keeps the tasks the real adapter builds."""

    def __init__(self) -> None:
        self.tasks: list[tasks_v2.Task] = []

    def create_task(self, parent: str, task: tasks_v2.Task) -> tasks_v2.Task:
        self.tasks.append(task)
        return task


def enqueued_task(world: World, body_key: str = BODY_KEY) -> tasks_v2.Task:
    """The first step of an analysis, enqueued by the real Cloud Tasks adapter with the key."""
    submit(world.deps(), "a0", "local", AnalysisOptions())
    name, step, payload = world.queue.pending.popleft()
    client = RecordingTasksClient()
    queue = CloudTaskQueue(client, "projects/p/locations/l", TASKS_URL, Meter(), ACCOUNT, body_key)  # type: ignore[arg-type]
    assert queue.enqueue("upstream-local", name, messages.from_dict(step, payload), carry=False)
    world.upstream_calls = 0  # what submit spent: the tests count what deliveries spend
    return client.tasks[0]


def deliver_task(app, task: tasks_v2.Task, bearer: str, body: bytes | None = None, **headers):
    """What Cloud Tasks sends for the task (or, given body, the same request with another)."""
    request = task.http_request
    sent = {**dict(request.headers), "Authorization": f"Bearer {bearer}",
            "X-CloudTasks-TaskName": task.name.rsplit("/", 1)[-1], **headers}  # fmt: skip
    path = request.url.removeprefix(TASKS_URL)
    return app.post(path, data=request.body if body is None else body, headers=sent)


@pytest.fixture
def world(monkeypatch) -> World:
    world = World([(n, 0) for n in range(1, 8)])
    monkeypatch.setattr(tasks.bootstrap, "deps", world.deps)
    return world


def test_a_genuine_task_with_its_token_runs_its_step(tasks_app, world):
    task = enqueued_task(world)
    assert task_signature.HEADER in task.http_request.headers
    response = deliver_task(tasks_app, task, token())
    assert response.status_code == 200 and response.get_json()["ok"] is True, response.get_json()
    assert world.upstream_calls == 1


def test_a_genuine_token_replayed_with_another_body_is_refused_every_time(tasks_app, world):
    task, bearer = enqueued_task(world), token()
    genuine = json.loads(task.http_request.body)
    refused = 0
    for n in range(20):
        forged = {**genuine, "analysis": f"{genuine['analysis'][:-2]}{n:02d}"}
        response = deliver_task(tasks_app, task, bearer, json.dumps(forged).encode())
        refused += response.status_code == 401
        assert "does not match" in response.get_json()["message"]
    assert refused == 20 and world.upstream_calls == 0
    assert deliver_task(tasks_app, task, bearer).status_code == 200  # the genuine body still runs


@pytest.mark.parametrize(
    ("why", "changes", "says"),
    [
        ("no signature", {task_signature.HEADER: ""}, "not signed"),
        ("another task name", {"X-CloudTasks-TaskName": "another-task"}, "does not match"),
        ("a signature of garbage", {task_signature.HEADER: "v1=\u00e9" * 3}, "does not match"),
    ],
)
def test_a_body_signed_for_another_task_or_not_at_all_is_refused(
    tasks_app, world, why, changes, says
):
    response = deliver_task(tasks_app, enqueued_task(world), token(), **changes)
    assert response.status_code == 401, why
    assert says in response.get_json()["message"] and world.upstream_calls == 0


def test_a_body_signed_with_another_key_is_refused(tasks_app, world):
    response = deliver_task(tasks_app, enqueued_task(world, "a stranger's key"), token())
    assert response.status_code == 401 and world.upstream_calls == 0


def test_a_body_signed_for_another_step_is_refused(tasks_app, world):
    task = enqueued_task(world)
    task.http_request.url = f"{TASKS_URL}/follows"
    response = deliver_task(tasks_app, task, token())
    assert response.status_code == 401 and "step 'follows'" in response.get_json()["message"]


def test_with_tokens_checked_but_no_body_key_every_task_is_refused(tasks_app, world, monkeypatch):
    monkeypatch.delenv("KINDRED_TASKS_BODY_KEY")
    bootstrap.settings.cache_clear()
    response = deliver_task(tasks_app, enqueued_task(world), token())
    assert (
        response.status_code == 401 and "KINDRED_TASKS_BODY_KEY" in response.get_json()["message"]
    )


@pytest.mark.parametrize("count", ["abc", "-1", "1e9", "\u0663", "9" * 50])
def test_a_retry_count_header_that_is_no_count_is_read_as_zero_not_a_500(tasks_app, world, count):
    response = deliver_task(
        tasks_app, enqueued_task(world), token(), **{"X-CloudTasks-TaskRetryCount": count}
    )
    assert response.status_code == 200, response.get_data()[:300]
