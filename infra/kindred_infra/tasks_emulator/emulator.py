"""Wiring: build the store, the dispatcher and the gRPC server from a config, start and stop them.

The one place that knows how the parts fit; `__main__` and in-process users (benchmarks) go
through it. Nothing happens until `start()`.
"""

from __future__ import annotations

import logging
import time
from concurrent import futures
from pathlib import Path

import grpc

from .. import queue_config
from . import delivery, queues, servicer
from .api import CloudTasksApi
from .config import EmulatorConfig
from .dedup import DedupWindow
from .dispatcher import Dispatcher
from .store import Store

log = logging.getLogger(__name__)


class Emulator:
    """One running emulator: `start()` returns the bound port, `stop()` shuts it down."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._store: Store | None = None
        self._dispatcher: Dispatcher | None = None
        self._server: grpc.Server | None = None

    def start(self) -> int:
        """Open the state, create queue.yaml's queues, start dispatching and serving.

        Raises queue_config.QueueConfigError for a bad queue.yaml, RuntimeError if the port
        cannot be bound.
        """
        config = self.config
        specs = queue_config.load(config.queues) if config.queues else []
        window = DedupWindow(config.dedup_window)
        self._store = store = Store.open(config.state_dir)
        store.release_leases()
        for spec in specs:
            wanted = queue_config.to_queue(spec, config.parent)
            store.change_queue(
                wanted.name, lambda current, w=wanted: queues.apply_update(current, w, [])
            )
        self._dispatcher = Dispatcher(
            store,
            window=window,
            workers=config.workers,
            duplicates=config.duplicates,
            seed=config.seed,
            sign=_signer(config.oidc_key_file),
        )
        self._dispatcher.start()
        api = CloudTasksApi(store, self._dispatcher, window)
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="grpc")
        )
        self._server.add_generic_rpc_handlers((servicer.handler(api),))
        port = self._server.add_insecure_port(f"{config.host}:{config.port}")
        if not port:
            raise RuntimeError(f"could not bind {config.host}:{config.port}")
        self._server.start()
        log.info("%d queue(s) from %s under %s", len(specs), config.queues, config.parent)
        return port

    def stop(self, grace: float = 2.0) -> None:
        """Stop serving, let deliveries in flight finish for up to `grace` s, close the state."""
        if self._server is not None:
            self._server.stop(grace=0.5).wait()
        if self._dispatcher is not None:
            self._dispatcher.stop(grace)
        if self._store is not None:
            self._store.close()


def _signer(key_file: Path | None) -> delivery.Signer | None:
    """Signs the OIDC tokens tasks ask for, with the stack's key (kindred.core.task_tokens)."""
    if key_file is None:
        return None
    from kindred.core.task_tokens import sign_local

    key = key_file.read_bytes().strip()
    return lambda audience, email: sign_local(key, audience, email, time.time())
