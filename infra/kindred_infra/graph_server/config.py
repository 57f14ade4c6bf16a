"""The server's settings, read once from the command line and the environment.

The default graph is the bundled one beside the repository (`kindred_infra.paths`), not one
relative to the working directory, so `python -m kindred_infra.graph_server` works from anywhere.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kindred_infra import paths
from kindred_infra.graph_server.faults import KINDS, FaultPlan, parse_kinds
from kindred_infra.graph_server.identity import dataset_name_from, is_dataset_name
from kindred_infra.graph_server.ratelimit import RatePolicy

GRAPH_PATH_ENV = "KINDRED_GRAPH_PATH"
MIN_IMAGE_BYTES, MAX_IMAGE_BYTES = 2_000, 2_000_000
PDS_RATE = RatePolicy(3000, 300)
MASTODON_RATE = RatePolicy(300, 300)  # Mastodon's documented limit per address


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    graph_path: Path
    graph_name: str
    rate: RatePolicy
    faults: FaultPlan
    media: bool = False  # posts, images and getBlob (docs/decisions/0006-local-media.md)
    image_bytes: int = 200_000
    blob_rate: RatePolicy = PDS_RATE  # Bluesky's PDS: 3,000 per 5 min per address
    mastodon_rate: RatePolicy = MASTODON_RATE  # Mastodon's dialect: 300 per 5 min per address
    account_states: bool = False  # Mastodon's dialect: some accounts suspended, moved, hidden


def default_graph_path(environ: Mapping[str, str]) -> Path:
    """$KINDRED_GRAPH_PATH, else the bundled ego-Twitter graph beside the repository."""
    return Path(environ[GRAPH_PATH_ENV]) if environ.get(GRAPH_PATH_ENV) else paths.DEFAULT_GRAPH


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kindred_infra.graph_server",
        description="Serve a follow graph through Bluesky's AppView endpoints and Mastodon's.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    parser.add_argument("--graph", type=Path, help=f"edge list, plain or gzip (${GRAPH_PATH_ENV})")
    parser.add_argument("--graph-name", help="dataset name in handles (default: its folder)")
    parser.add_argument("--rate-limit", default="3000/300", help="REQUESTS/SECONDS, 0 = off")
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests to fail")
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--fault-kinds", default=",".join(KINDS))
    parser.add_argument("--slow-seconds", type=float, default=15.0)
    parser.add_argument("--media", action="store_true", help="serve posts, images and getBlob")
    parser.add_argument(
        "--image-bytes", type=int, default=200_000, help="typical image size (2000-2000000)"
    )
    parser.add_argument("--blob-rate-limit", default="3000/300", help="getBlob's own limit")
    parser.add_argument(
        "--mastodon-rate-limit", default="300/300", help="the Mastodon dialect's own limit"
    )
    parser.add_argument(
        "--account-states",
        action="store_true",
        help="in the Mastodon dialect, make a few accounts suspended, moved or hidden",
    )
    return parser


def parse_config(argv: Sequence[str] | None, environ: Mapping[str, str]) -> ServerConfig:
    """Settings from argv and environ; exits with a usage message when they are invalid."""
    parser = build_parser()
    args = parser.parse_args(argv)
    graph_path = args.graph or default_graph_path(environ)
    name = args.graph_name or dataset_name_from(graph_path.resolve().parent.name)
    if not is_dataset_name(name):
        parser.error(f"--graph-name {name!r} must be lowercase letters, digits, '-' and '.'")
    try:
        rate = RatePolicy.parse(args.rate_limit)
        faults = FaultPlan(
            share=args.faults,
            kinds=parse_kinds(args.fault_kinds),
            seed=args.fault_seed,
            slow_seconds=args.slow_seconds,
        )
        blob_rate = RatePolicy.parse(args.blob_rate_limit)
        mastodon_rate = RatePolicy.parse(args.mastodon_rate_limit)
    except ValueError as exc:
        parser.error(str(exc))
    if not MIN_IMAGE_BYTES <= args.image_bytes <= MAX_IMAGE_BYTES:
        parser.error(f"--image-bytes {args.image_bytes} is outside 2000..2000000 (Bluesky's max)")
    return ServerConfig(
        args.host, args.port, graph_path, name, rate, faults,
        args.media, args.image_bytes, blob_rate, mastodon_rate, args.account_states,
    )  # fmt: skip
