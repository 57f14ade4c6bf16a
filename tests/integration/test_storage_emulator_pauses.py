"""The local Storage emulator writes its metadata in pauses and on SIGTERM
(kindred_infra.storage_emulator): what was written is there after a restart, and after a
SIGKILL once a pause has passed; and a write no longer costs a rewrite of every object's
metadata (the file is rewritten a few times, not once per object)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from kindred_infra.process import Service, free_port, http_ok, stop_pid
from kindred_infra.storage_emulator import FLUSH_EVERY

BUCKET = "kindred-pauses"
OBJECTS = 200


def emulator(folder: Path, port: int) -> Service:
    argv = [sys.executable, "-m", "kindred_infra.storage_emulator", "start", "--host",
            "127.0.0.1", "--port", str(port), "--default-bucket", BUCKET, "--quiet"]  # fmt: skip
    healthy = lambda: http_ok(f"http://127.0.0.1:{port}/")  # noqa: E731
    service = Service("storage", argv, folder / "storage.log", healthy,
                      env={"STORAGE_BASE": str(folder / "data")})  # fmt: skip
    return service.start().wait_healthy()


def bucket(port: int) -> storage.Bucket:
    endpoint = {"api_endpoint": f"http://127.0.0.1:{port}"}
    client = storage.Client("kindred-local", AnonymousCredentials(), client_options=endpoint)
    return client.bucket(BUCKET)


def names(port: int) -> dict[str, bytes]:
    return {blob.name: blob.download_as_bytes() for blob in bucket(port).list_blobs()}


def test_what_was_written_survives_sigterm_and_a_sigkill_after_a_pause(tmp_path):
    port = free_port()
    service = emulator(tmp_path, port)
    meta = tmp_path / "data" / ".meta"
    try:
        rewrites, last = 0, None
        for i in range(OBJECTS):
            bucket(port).blob(f"a/{i:04d}").upload_from_string(f"object {i}")
            stamp = meta.stat().st_mtime_ns if meta.exists() else None
            rewrites += stamp != last
            last = stamp
        assert rewrites < OBJECTS / 4, f"the metadata was rewritten {rewrites} times"
        assert len(names(port)) == OBJECTS
    finally:
        service.stop()  # SIGTERM: the last metadata is written on the way out
    service = emulator(tmp_path, port)
    try:
        stored = names(port)
        assert stored == {f"a/{i:04d}": f"object {i}".encode() for i in range(OBJECTS)}
        bucket(port).blob("b/after-a-pause").upload_from_string("kept")
        time.sleep(FLUSH_EVERY * 3)  # a pause: the API thread's loop writes it
        assert service.pid is not None
        os.killpg(service.pid, signal.SIGKILL)
        service.process.wait(timeout=5)
    finally:
        if service.process and service.process.poll() is None:
            stop_pid(service.pid)
    service = emulator(tmp_path, port)
    try:
        assert names(port)["b/after-a-pause"] == b"kept"
        assert len(names(port)) == OBJECTS + 1
    finally:
        service.stop()
