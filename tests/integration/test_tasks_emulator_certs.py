"""The Cloud Tasks emulator's certificates endpoint serves, in Google's v1 format, the
certificate that verifies the tokens the emulator signs: google-auth's own check passes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from google.auth import exceptions
from google.auth.transport import requests as google_requests
from google.cloud import tasks_v2
from google.oauth2 import id_token
from support.receiver import Receiver, receiving

from kindred_infra import process
from kindred_infra import tasks_emulator as emulator
from kindred_infra.tasks_emulator import oidc

pytestmark = pytest.mark.integration

PARENT = "projects/kindred-local/locations/us-central1"
ACCOUNT = "kindred-tasks@kindred-local.iam.gserviceaccount.com"


@dataclass
class Signing:
    client: tasks_v2.CloudTasksClient
    certs_url: str
    key: oidc.SigningKey


@pytest.fixture(scope="module")
def signing(tmp_path_factory) -> Iterator[Signing]:
    home = tmp_path_factory.mktemp("certs-emulator")
    key_file = oidc.ensure_key_file(home / "tasks_signing_key.pem")
    port, certs_port = process.free_port(), process.free_port()
    service = emulator.service(
        port, home, home / "emulator.log", oidc_key_file=key_file, certs_port=certs_port
    )
    with process.running(service):
        yield Signing(
            emulator.client(f"{process.LOOPBACK}:{port}"),
            f"http://{process.LOOPBACK}:{certs_port}/oauth2/v1/certs",
            oidc.SigningKey.load(key_file),
        )


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as recording:
        yield recording


def delivered_token(signing: Signing, receiver: Receiver, audience: str | None) -> str:
    queue = signing.client.create_queue(
        parent=PARENT, queue=tasks_v2.Queue(name=f"{PARENT}/queues/signed-{audience is None}")
    )
    url = receiver.url(f"/signed-{audience is None}")
    token = {"service_account_email": ACCOUNT, **({"audience": audience} if audience else {})}
    signing.client.create_task(
        parent=queue.name,
        task=tasks_v2.Task(http_request={"url": url, "oidc_token": token}),
    )
    [arrival] = receiver.wait_for(f"/signed-{audience is None}", 1)
    scheme, _, bearer = arrival.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    return bearer


def test_the_certs_endpoint_serves_the_certificate_in_googles_format(signing):
    with urllib.request.urlopen(signing.certs_url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        certs = json.loads(response.read())
    assert certs == signing.key.certs()
    [(kid, pem)] = certs.items()
    assert len(kid) == 40 and pem.startswith("-----BEGIN CERTIFICATE-----")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(signing.certs_url.replace("/certs", "/other"), timeout=10)
    assert missing.value.code == 404
    missing.value.close()


@pytest.mark.parametrize("audience", ["https://tasks.example/step", None])
def test_the_emulators_tokens_verify_against_its_certs_url(signing, receiver, audience):
    token = delivered_token(signing, receiver, audience)
    expected_audience = audience or receiver.url("/signed-True")  # default: the task's URL
    with requests.Session() as session:
        claims = verify(token, session, expected_audience, signing.certs_url)
        with pytest.raises(exceptions.GoogleAuthError, match="audience"):
            verify(token, session, "http://else.example", signing.certs_url)
    assert claims["iss"] == "https://accounts.google.com"
    assert (claims["email"], claims["email_verified"]) == (ACCOUNT, True)
    assert 0 < claims["exp"] - claims["iat"] <= 300


def verify(token: str, session: requests.Session, audience: str, certs_url: str) -> dict:
    """As the tasks function checks a token (kindred.web.task_auth)."""
    request = google_requests.Request(session)
    return dict(id_token.verify_token(token, request, audience=audience, certs_url=certs_url))
