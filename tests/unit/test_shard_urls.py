"""The Storage adapter's one decision on shard URLs: the emulator's plain media URL locally, a
V4 signed URL in the cloud, signed offline here with a service-account key made for the test;
Cloud Functions' default credentials (no key) sign through IAM with their token."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import google.cloud.storage as storage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.credentials import AnonymousCredentials
from google.oauth2 import service_account

from kindred.adapters.gcs_blobs import GcsBlobStore, signing
from kindred.core.cost import Meter

NAME = "exports/e1/kindred-c1-000000.tar"


def test_locally_the_url_is_the_emulators_media_url_without_expiry():
    client = storage.Client(project="p", credentials=AnonymousCredentials())
    blobs = GcsBlobStore(client, "b", Meter(), "http://127.0.0.1:8620")
    url, expires = blobs.url(NAME, 600)
    assert url == ("http://127.0.0.1:8620/download/storage/v1/b/b/o/"
                   "exports%2Fe1%2Fkindred-c1-000000.tar?alt=media")  # fmt: skip
    assert expires is None


def test_in_the_cloud_the_url_is_v4_signed_for_its_lifetime():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()  # fmt: skip
    credentials = service_account.Credentials.from_service_account_info({
        "type": "service_account", "client_email": "fn@p.iam.gserviceaccount.com",
        "private_key": pem, "private_key_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
    })  # fmt: skip
    blobs = GcsBlobStore(storage.Client(project="p", credentials=credentials), "b", Meter())
    url, expires = blobs.url(NAME, 3600)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.scheme == "https" and parts.path == f"/b/{NAME}"
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"] and query["X-Goog-Expires"] == ["3600"]
    assert query["X-Goog-Credential"][0].startswith("fn@p.iam.gserviceaccount.com/")
    assert expires is not None


def test_keyless_default_credentials_sign_as_their_service_account_with_their_token():
    refreshed = []
    credentials = SimpleNamespace(valid=False, token="tok-1",
                                  service_account_email="123-compute@developer.gserviceaccount.com",
                                  refresh=refreshed.append)  # fmt: skip
    assert signing(credentials) == {
        "service_account_email": "123-compute@developer.gserviceaccount.com",
        "access_token": "tok-1",
    }
    assert len(refreshed) == 1  # a token fetched first when it had none
