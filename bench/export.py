"""Export figures (issue I): bytes per second of a dataset export and the export function's
peak RSS, beside a plain copy of the same objects with the storage client in the same run.

14. export throughput: the shards' bytes / the export's wall time (submit to done); baseline
    the same files and sidecars downloaded and uploaded again one by one with
    google-cloud-storage (no tar, no hashing), on the same stack, right after;
15. the tasks function's peak RSS (VmHWM) during the export alone: the function is restarted
    after the collection, so the collection's own peak is not counted; target under 256 MB.

Full: 10 accounts x 100 images of ~400 KB (~400 MB), 350 MB shards. Quick: 3 x 30 of ~200 KB
(~18 MB), 5 MB shards. The local Storage emulator rewrites a resumable upload's whole file on
each 8 MiB chunk, so the emulator, not the function, paces the large shards.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.collection import pick_accounts
from bench.figures import Figure
from bench.report import module_main
from bench.stack import BenchStack, _group_hwm, running_stack
from kindred_infra import stack
from kindred_infra.stack import state


@dataclass(frozen=True)
class Sizes:
    accounts: int
    cap: int
    image_bytes: int
    shard_bytes: int


QUICK = Sizes(accounts=3, cap=30, image_bytes=200_000, shard_bytes=5_000_000)
FULL = Sizes(accounts=10, cap=100, image_bytes=400_000, shard_bytes=350_000_000)
RSS_TARGET_MB = 256


def _tasks_pgid(home: Any) -> int:
    return next(part.pid for part in state.load(home).parts if part.name == "function:tasks")


def bucket(env: dict[str, str]) -> Any:
    """The stack's bucket through the unmodified storage client, as a user's script has it."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    endpoint = {"api_endpoint": env["STORAGE_EMULATOR_HOST"]}
    client = storage.Client(
        project=env["GOOGLE_CLOUD_PROJECT"], credentials=AnonymousCredentials(),
        client_options=endpoint,
    )  # fmt: skip
    return client.bucket(env["KINDRED_BUCKET"])


def copy_baseline(bucket: Any, names: list[str]) -> tuple[float, int]:
    """(seconds, bytes) to download and upload again each object, one by one."""
    began, moved = time.perf_counter(), 0
    for name in names:
        data = bucket.blob(name).download_as_bytes()
        bucket.blob(f"bench-copy/{name}").upload_from_string(data)
        moved += len(data)
    return time.perf_counter() - began, moved


@contextlib.contextmanager
def media_stack(sizes: Sizes) -> Iterator[BenchStack]:
    """A fresh stack with the graph server's media at `sizes.image_bytes`, no upstream limit."""
    with running_stack(media=True, rate_limit="0", image_bytes=sizes.image_bytes) as bench:
        yield bench


def collect(bench: BenchStack, sizes: Sizes) -> str:
    """A finished collection of `sizes.accounts` accounts at `sizes.cap` images each; its id."""
    api = bench.api()
    accounts = pick_accounts(sizes.accounts, sizes.cap)
    submitted = api.submit_collection(accounts, "local", {"max_per_account": sizes.cap})
    api.wait_collection(submitted["id"], lambda _: None, every=0.5, timeout=3600)
    return str(submitted["id"])


def export(bench: BenchStack, collection: str, shard_bytes: int) -> tuple[dict[str, Any], float]:
    """(the manifest, seconds from submission to done) of an export of the collection."""
    api = bench.api()
    began = time.perf_counter()
    made = api.submit_export(collection, {"shard_bytes": shard_bytes})
    manifest = api.wait_export(made["id"], lambda _: None, every=0.5, timeout=3600)
    return manifest, time.perf_counter() - began


def run(quick: bool) -> list[Figure]:
    sizes = QUICK if quick else FULL
    with media_stack(sizes) as bench:
        collection = collect(bench, sizes)
        stack.restart(bench.home, "function:tasks")  # its peak from here on is the export's
        manifest, seconds = export(bench, collection, sizes.shard_bytes)
        peak = max(_group_hwm(_tasks_pgid(bench.home)), default=0.0) / 1024
        media = [b.name for b in bucket(bench.env).list_blobs(prefix="media/")]
        copy_seconds, copied = copy_baseline(bucket(bench.env), media)
    total = manifest["totals"]["bytes"]
    params = {"shards": manifest["totals"]["shards"], "samples": manifest["totals"]["samples"],
              "shard_bytes": sizes.shard_bytes, "bytes": total, "seconds": round(seconds, 1),
              "largest_shard": max(s["filesize"] for s in manifest["shardlist"])}  # fmt: skip
    print(f"export: {params}; copy {copied:,} B in {copy_seconds:.1f} s", file=sys.stderr)
    return [
        Figure(
            "export: bytes/s (shards written, streamed and hashed)",
            total / seconds,
            "B/s",
            copied / copy_seconds,
            "a plain download+upload of the same objects, one by one",
            params,
        ),
        Figure(
            f"export: tasks function peak RSS ({sizes.shard_bytes / 1e6:.0f} MB shards)",
            peak,
            "MB",
            512.0,
            "the Cloud Function's 512 MB",
            params,
            f"under {RSS_TARGET_MB} MB",
            peak < RSS_TARGET_MB,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return module_main(run, __doc__ or "", argv)


if __name__ == "__main__":
    raise SystemExit(main())
