"""The local Cloud Storage: gcp-storage-emulator, its metadata written in the pauses between
requests and on SIGTERM instead of after every write.

The emulator keeps all its objects' metadata in one JSON file and rewrites the whole of it on
each write, so with N objects stored a write costs O(N): an analysis that stores a follows
list per follower (reuse, decision 0011) slowed from 125 upstream calls/s to 3 once 10,000
lists were stored. The file is read only when the emulator starts; requests are served from
memory. So the rewrite is deferred to the API thread's own loop between requests (no request
runs while it is dumped, so none sees it half-written), at most every FLUSH_EVERY seconds
while writes come, and done once more when the emulator stops (`kindred down` and the tests
send SIGTERM first). A SIGKILL loses at most the last FLUSH_EVERY of metadata.

    python -m kindred_infra.storage_emulator start --host H --port P ...   (its own options)
"""

from __future__ import annotations

import signal
import sys
import time
from http import server as http_server
from typing import Any

from gcp_storage_emulator import storage as emulator
from gcp_storage_emulator.__main__ import main as emulator_main

FLUSH_EVERY = 0.5  # seconds: the most a SIGKILL can lose

_write_now = emulator.Storage._write_config_to_file
_dirty: dict[int, Any] = {}  # the stores changed since their last write, by id
_last = [0.0]


def _defer(self: Any) -> None:
    _dirty[id(self)] = self


def flush(force: bool = False) -> None:
    """Write the metadata of every store changed since its last write."""
    if not _dirty or (not force and time.monotonic() - _last[0] < FLUSH_EVERY):
        return
    while _dirty:
        _write_now(_dirty.popitem()[1])
    _last[0] = time.monotonic()


def _service_actions(self: http_server.HTTPServer) -> None:
    flush()  # called by serve_forever between requests, in the thread that serves them


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the emulator's own way out: it stops its API thread


def main(argv: list[str] | None = None) -> None:
    emulator.Storage._write_config_to_file = _defer
    http_server.HTTPServer.service_actions = _service_actions  # type: ignore[method-assign,assignment]
    signal.signal(signal.SIGTERM, _stop)
    try:
        emulator_main(sys.argv[1:] if argv is None else argv)
    finally:  # the API thread has stopped: nothing changes the metadata now
        flush(force=True)


if __name__ == "__main__":
    main()
