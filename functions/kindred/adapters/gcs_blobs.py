"""The BlobStore on Cloud Storage; writes are counted in the invocation's Meter."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import google.cloud.storage as storage
from google.api_core.exceptions import NotFound as GcsNotFound

from kindred.core.cost import Meter, carried
from kindred.core.errors import NotFound

CHUNK_BYTES = 256 * 1024  # small reads, so many runs can be merged at once in little memory


class GcsBlobStore:
    def __init__(self, client: storage.Client, bucket: str, meter: Meter):
        self.bucket = client.bucket(bucket)
        self.meter = meter

    def write(self, name: str, data: bytes) -> None:
        self.meter.storage_writes += 1
        self.bucket.blob(name).upload_from_string(data)

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        self.meter.storage_writes += 1
        body = json.dumps(carried(data, self.meter), separators=(",", ":")).encode()
        self.bucket.blob(name).upload_from_string(body, content_type="application/json")

    def read(self, name: str) -> bytes:
        try:
            return self.bucket.blob(name).download_as_bytes()
        except GcsNotFound as error:
            raise NotFound(f"gs://{self.bucket.name}/{name} does not exist") from error

    def exists(self, name: str) -> bool:
        return bool(self.bucket.blob(name).exists())

    def sizes(self, prefix: str) -> dict[str, int]:
        return {blob.name: int(blob.size or 0) for blob in self.bucket.list_blobs(prefix=prefix)}

    def stream(self, name: str) -> Iterator[bytes]:
        blob = self.bucket.blob(name, chunk_size=CHUNK_BYTES)
        try:
            with blob.open("rb", chunk_size=CHUNK_BYTES) as reader:
                while chunk := reader.read(CHUNK_BYTES):
                    yield chunk
        except GcsNotFound as error:
            raise NotFound(f"gs://{self.bucket.name}/{name} does not exist") from error
