"""How one emulator run is configured: the command line's values, parsed once."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .certs import is_loopback
from .dedup import DEFAULT_WINDOW

DEFAULT_PROJECT = "kindred-local"
DEFAULT_LOCATION = "us-central1"


@dataclass(frozen=True)
class EmulatorConfig:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 8123
    queues: Path | None = None  # a queue.yaml whose queues exist from the start
    project: str = DEFAULT_PROJECT
    location: str = DEFAULT_LOCATION
    duplicates: float = 0.0  # share of successful dispatches delivered a second time
    seed: int | None = None
    dedup_window: float = DEFAULT_WINDOW
    workers: int = 256  # threads for HTTP deliveries, across all queues
    verbose: bool = False  # log every dispatch
    oidc_key_file: Path | None = None  # signs OIDC tokens for tasks that ask for one
    certs_port: int | None = None  # serves the key's certificate there (loopback only)

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"


def parse_args(argv: Sequence[str] | None = None) -> EmulatorConfig:
    """The configuration from command-line arguments; exits with usage on bad ones."""
    parser = argparse.ArgumentParser(
        prog="python -m kindred_infra.tasks_emulator",
        description="A local Cloud Tasks (v2 gRPC) emulator that honours rates, concurrency,"
        " retries, backoff and task-name de-duplication.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True, help="holds tasks.sqlite3")
    parser.add_argument("--queues", type=Path, help="a queue.yaml to create queues from")
    parser.add_argument("--project", default=DEFAULT_PROJECT, help="project of --queues' queues")
    parser.add_argument("--location", default=DEFAULT_LOCATION, help="location of --queues'")
    parser.add_argument(
        "--duplicates", type=_share, default=0.0, help="share of successes delivered twice (0-1)"
    )
    parser.add_argument("--seed", type=int, help="seed for --duplicates' choices and delays")
    parser.add_argument(
        "--dedup-window",
        type=float,
        default=DEFAULT_WINDOW,
        help="seconds a used task name stays taken (default 3600, as Cloud Tasks)",
    )
    parser.add_argument("--workers", type=int, default=256, help="HTTP delivery threads")
    parser.add_argument("--verbose", action="store_true", help="log every dispatch")
    parser.add_argument(
        "--oidc-key-file",
        type=Path,
        help="PEM key and certificate (the stack's) that sign the OIDC tokens tasks ask for",
    )
    parser.add_argument(
        "--certs-port",
        type=int,
        help="serve --oidc-key-file's certificate on this loopback port, at /oauth2/v1/certs"
        " in Google's format (0: any free port)",
    )
    args = parser.parse_args(argv)
    if args.certs_port is not None and args.oidc_key_file is None:
        parser.error("--certs-port serves the certificate of --oidc-key-file: give both")
    if args.certs_port is not None and not is_loopback(args.host):
        parser.error(f"--certs-port serves on loopback only; --host is {args.host}")
    return EmulatorConfig(
        state_dir=args.state_dir,
        host=args.host,
        port=args.port,
        queues=args.queues,
        project=args.project,
        location=args.location,
        duplicates=args.duplicates,
        seed=args.seed,
        dedup_window=args.dedup_window,
        oidc_key_file=args.oidc_key_file,
        certs_port=args.certs_port,
        workers=args.workers,
        verbose=args.verbose,
    )


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value
