"""Wiring: build the store, the dispatcher and the gRPC server from a config, start and stop them.

The one place that knows how the parts fit; `__main__` and in-process users (benchmarks) go
through it. Nothing happens until `start()`.
"""

from __future__ import annotations

import functools
import logging
import time
from concurrent import futures

import grpc

from .. import queue_config
from . import certs, delivery, oidc, queues, servicer
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
        self._certs: certs.CertsServer | None = None

    def start(self) -> int:
        """Open the state, create queue.yaml's queues, start dispatching and serving.

        Raises queue_config.QueueConfigError for a bad queue.yaml, RuntimeError if the port
        (or the certificates' port) cannot be bound, OSError or ValueError for an unreadable
        --oidc-key-file. The certificates are served before the gRPC port opens, so a caller
        that waits for that port finds them too.
        """
        config = self.config
        key = oidc.SigningKey.load(config.oidc_key_file) if config.oidc_key_file else None
        if key is not None and config.certs_port is not None:
            self._certs = certs.CertsServer(config.host, config.certs_port, key.certs())
            certs_port = self._certs.start()
            log.info("certificates on http://%s:%d%s", config.host, certs_port, certs.PATH)
        specs = queue_config.load(config.queues) if config.queues else []
        window = DedupWindow(config.dedup_window)
        self._store = store = Store.open(config.state_dir)
        store.release_leases()
        for spec in specs:
            wanted = queue_config.to_queue(spec, config.parent)
            store.change_queue(
                wanted.name, functools.partial(queues.apply_update, update=wanted, paths=[])
            )
        self._dispatcher = Dispatcher(
            store,
            window=window,
            workers=config.workers,
            duplicates=config.duplicates,
            seed=config.seed,
            sign=_signer(key),
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
        if self._certs is not None:
            self._certs.stop()


def _signer(key: oidc.SigningKey | None) -> delivery.Signer | None:
    """Signs the OIDC tokens tasks ask for, at each attempt, with the stack's key."""
    if key is None:
        return None
    return lambda audience, email: key.sign(audience, email, time.time())
