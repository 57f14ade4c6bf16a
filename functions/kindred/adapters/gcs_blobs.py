"""The BlobStore on Cloud Storage; writes and reads are counted in the invocation's Meter."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import IO, Any
from urllib.parse import quote

import google.auth.credentials
import google.auth.transport.requests
import google.cloud.storage as storage
from google.api_core.exceptions import NotFound as GcsNotFound

from kindred.core.cost import Meter, carried
from kindred.core.errors import NotFound

CHUNK_BYTES = 256 * 1024  # small reads, so many runs can be merged at once in little memory
UPLOAD_CHUNK = 8 * 1024 * 1024  # a resumable upload's chunk (a multiple of 256 KiB): its buffer
READERS = 8  # objects `read_all` reads at once (under the HTTP pool's 10 connections)


class GcsBlobStore:
    def __init__(
        self, client: storage.Client, bucket: str, meter: Meter, emulator: str | None = None
    ):
        self.bucket = client.bucket(bucket)
        self.meter = meter
        self.emulator = emulator  # the Storage emulator's URL, when there is one

    def write(self, name: str, data: bytes) -> None:
        self.meter.storage_writes += 1
        self.bucket.blob(name).upload_from_string(data)

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        self.meter.storage_writes += 1
        body = json.dumps(carried(data, self.meter), separators=(",", ":")).encode()
        self.bucket.blob(name).upload_from_string(body, content_type="application/json")

    def read(self, name: str) -> bytes:
        self.meter.storage_reads += 1
        try:
            return self.bucket.blob(name).download_as_bytes()
        except GcsNotFound as error:
            raise NotFound(f"gs://{self.bucket.name}/{name} does not exist") from error

    def read_all(self, names: Sequence[str]) -> dict[str, bytes]:
        self.meter.storage_reads += len(names)  # here: the threads below share no Meter
        with ThreadPoolExecutor(READERS, thread_name_prefix="read-all") as pool:
            found = list(pool.map(self._read_if_there, names))
        return {name: data for name, data in zip(names, found, strict=True) if data is not None}

    def _read_if_there(self, name: str) -> bytes | None:
        try:
            return bytes(self.bucket.blob(name).download_as_bytes())
        except GcsNotFound:
            return None

    def exists(self, name: str) -> bool:
        self.meter.storage_reads += 1
        return bool(self.bucket.blob(name).exists())

    def sizes(self, prefix: str) -> dict[str, int]:
        return {blob.name: int(blob.size or 0) for blob in self.bucket.list_blobs(prefix=prefix)}

    def stream(self, name: str) -> Iterator[bytes]:
        self.meter.storage_reads += 1  # one an object, however many ranged reads it takes
        blob = self.bucket.blob(name, chunk_size=CHUNK_BYTES)
        try:
            with blob.open("rb", chunk_size=CHUNK_BYTES) as reader:
                while chunk := reader.read(CHUNK_BYTES):
                    yield chunk
        except GcsNotFound as error:
            raise NotFound(f"gs://{self.bucket.name}/{name} does not exist") from error

    def writer(self, name: str, content_type: str) -> IO[bytes]:
        """A resumable upload of `name`, sent UPLOAD_CHUNK at a time, its md5 checked by the
        client at the end; left by an exception, the upload is cancelled and nothing appears."""
        self.meter.storage_writes += 1
        blob = self.bucket.blob(name)
        writer: IO[bytes] = blob.open(
            "wb", chunk_size=UPLOAD_CHUNK, ignore_flush=True, content_type=content_type,
            checksum="md5",
        )  # fmt: skip
        return writer

    def url(self, name: str, lifetime: int) -> tuple[str, float | None]:
        """(where anyone can GET the object, Range included; when that URL expires or None):
        locally the emulator's media URL, in the cloud a V4 signed URL of `lifetime` s."""
        if self.emulator:
            path = f"/download/storage/v1/b/{self.bucket.name}/o/{quote(name, safe='')}"
            return f"{self.emulator.rstrip('/')}{path}?alt=media", None
        blob = self.bucket.blob(name)
        credentials = self.bucket.client._credentials
        url = blob.generate_signed_url(
            version="v4", expiration=timedelta(seconds=lifetime), method="GET",
            **signing(credentials),
        )  # fmt: skip
        return str(url), time.time() + lifetime


def signing(credentials: Any) -> dict[str, Any]:
    """How to sign with these credentials: a key file signs itself; Cloud Functions' default
    credentials hold no key, so the IAM API signs as their service account with their token."""
    if isinstance(credentials, google.auth.credentials.Signing):
        return {"credentials": credentials}
    if not credentials.valid:
        credentials.refresh(google.auth.transport.requests.Request())
    return {
        "service_account_email": credentials.service_account_email,
        "access_token": credentials.token,
    }
