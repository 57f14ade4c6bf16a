"""`python -m kindred_infra.tasks_emulator --port N --state-dir DIR [--queues queue.yaml] ...`

Serves until SIGTERM or SIGINT, then shuts down cleanly; prints one line once it is serving.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

from ..queue_config import QueueConfigError
from .config import parse_args
from .emulator import Emulator


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if config.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    emulator = Emulator(config)
    try:
        port = emulator.start()
    except (QueueConfigError, RuntimeError, OSError) as error:
        print(f"tasks emulator: {error}", file=sys.stderr, flush=True)
        emulator.stop()
        return 2
    print(
        f"Cloud Tasks emulator serving on {config.host}:{port}"
        f" (state {config.state_dir}, parent {config.parent})",
        flush=True,
    )
    while not stop.wait(0.5):  # a timed wait, so the signal handler always gets to run
        pass
    emulator.stop()
    print("Cloud Tasks emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
