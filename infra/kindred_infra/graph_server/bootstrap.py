"""Wiring: load the graph, build the service, serve until SIGTERM or SIGINT.

The graph is loaded before the port is bound, so `/_health` answering means ready.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.config import ServerConfig, parse_config
from kindred_infra.graph_server.graph import EdgeListError, load_graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.images import ImageMaker
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter
from kindred_infra.graph_server.server import start_server
from kindred_infra.graph_server.service import GraphService


def build_service(config: ServerConfig) -> GraphService:
    """Load the graph and wire the service; raises EdgeListError or OSError."""
    started = time.perf_counter()
    graph = load_graph(config.graph_path)
    images = ImageMaker.build(config.image_bytes) if config.media else None
    seconds = round(time.perf_counter() - started, 2)
    _release_free_memory()
    info: dict[str, object] = {"path": str(config.graph_path), "load_seconds": seconds}
    info["mastodon_host"] = Identity(config.graph_name).host
    if images is not None:
        info.update(media=True, image_bytes=config.image_bytes, bases_bytes=images.memory_bytes)
    return GraphService(
        api=GraphApi(graph, Identity(config.graph_name), images, config.account_states),
        limiter=FixedWindowLimiter(config.rate),
        faults=config.faults,
        info=info,
        blob_limiter=FixedWindowLimiter(config.blob_rate),
        mastodon_limiter=FixedWindowLimiter(config.mastodon_rate),
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv, os.environ)
    try:
        service = build_service(config)
        server = start_server(config.host, config.port, service)
    except (EdgeListError, OSError) as exc:
        print(f"graph server: {exc}", file=sys.stderr, flush=True)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    host, port = str(server.server_address[0]), server.server_address[1]
    graph, info = service.api.graph, service.info
    print(
        f"graph server: serving {config.graph_name} ({graph.nodes:,} nodes, {graph.edges:,} edges,"
        f" loaded in {info['load_seconds']:.2f} s) on http://{host}:{port}",
        flush=True,
    )
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    print("graph server: stopped", flush=True)
    return 0


def _release_free_memory() -> None:
    """Hand the loader's freed scratch memory back to the OS (glibc keeps it otherwise).

    Parsing needs ~200 MB of temporaries; without this the idle server shows ~170 MB RSS
    instead of ~45 MB. A no-op where glibc is absent.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
