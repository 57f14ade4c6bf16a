"""Pull figures (issue I): `kindred pull` throughput beside a plain download of the same objects
in the same run, and the bytes a pull killed mid-shard fetches twice once started again.

16. pull throughput: `kindred pull EXPORT_ID DIR --parallel 4 --json` (the code path of
    `kindred_infra.pull`: ranged GETs of the manifest's URLs, written unbuffered, each shard's
    sha256 checked before it is renamed), its bytes fetched / its own seconds (from the
    manifest read to the last shard checked; the wall time with the process start is in the
    params); baseline: the same shard objects downloaded one by one with google-cloud-storage
    (`download_to_filename`, no hashing), on the same stack, right after.
17. bytes fetched twice across a SIGKILL: the same pull through the counting forward proxy of
    the tests (`tests/support/proxy.py`), paced so every transfer lasts seconds, is killed
    once each of its first shards' `.part` holds a third of its shard, then run again
    unpaced through a new proxy; fetched twice = every shard byte the proxies passed, minus
    the shards' bytes. Baseline: the shards' bytes (what a pull that cannot resume fetches
    again). Target: only what was in flight at the kill, i.e. what had left the proxy but not
    reached a `.part`: for each shard in flight, less than one read of the pull
    (`pull.CHUNK`, 64 KiB, written as soon as it is whole) plus one write of the paced proxy
    (16 KiB, the most the loopback socket holds when the reader keeps up); and each resumed
    request asks from its `.part`'s size and gets exactly the rest.

Full: 5 accounts x 100 images of ~400 KB (~200 MB) in 25 MB shards, about 3 minutes. Quick:
2 x 20 of ~200 KB (~8 MB) in 1 MB shards (the smallest bound), under a minute.

The local Storage emulator (`gcp-storage-emulator`) is a single-threaded `http.server`: it
answers one GET at a time, so locally `--parallel 4` cannot overlap transfers (small shards
only seem to, as each fits in the loopback socket's buffers), and a pull is a plain download
plus its sha256 pass; Cloud Storage serves the four at once. For the same reason, with 25 MB
shards the paced pull reaches a third of its fourth shard only after the first three are
done: one shard is in flight at the kill (quick: four).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.export import Sizes, bucket, collect, export, media_stack
from bench.figures import Figure
from bench.report import module_main
from bench.stack import BenchStack
from kindred.core.export_names import shard_blob
from kindred_infra import pull
from tests.support import proxy as counting
from tests.support.cli import KINDRED, kindred_env


@dataclass(frozen=True)
class Plan:
    sizes: Sizes
    rate: float  # body bytes/s a response through the paced proxy: a shard takes seconds
    repeats: int  # pulls and plain downloads, alternated; the figure takes the medians


QUICK = Plan(Sizes(accounts=2, cap=20, image_bytes=200_000, shard_bytes=1_000_000), 300_000, 5)
FULL = Plan(Sizes(accounts=5, cap=100, image_bytes=400_000, shard_bytes=25_000_000), 6_000_000, 3)
PARALLEL = 4
IN_FLIGHT = pull.CHUNK + counting.CHUNK  # bytes a shard in flight can lose at a kill, at most


def pull_command(export_id: str, folder: Path) -> list[str]:
    return [str(KINDRED), "pull", export_id, str(folder), "--parallel", str(PARALLEL), "--json"]


def run_pull(bench: BenchStack, export_id: str, folder: Path,
             extra: dict[str, str] | None = None) -> tuple[dict[str, Any], float]:  # fmt: skip
    """(the pull's summary, its wall time with the process start)."""
    began = time.perf_counter()
    done = subprocess.run(
        pull_command(export_id, folder),
        env=kindred_env(bench.env, extra),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"kindred pull failed: {done.stderr[-2000:]}")
    summary: dict[str, Any] = json.loads(done.stdout)
    if summary["verified"] != summary["shards"]:
        raise RuntimeError(f"kindred pull left shards unverified: {summary}")
    return summary, wall


def download_baseline(bench: BenchStack, export_id: str, names: list[str],
                      folder: Path) -> float:  # fmt: skip
    """Seconds to download each shard object one by one with the storage client."""
    folder.mkdir(parents=True)
    target = bucket(bench.env)
    began = time.perf_counter()
    for name in names:
        target.blob(shard_blob(export_id, name)).download_to_filename(str(folder / name))
    return time.perf_counter() - began


def killed_mid_shard(bench: BenchStack, export_id: str, manifest: dict[str, Any],
                     folder: Path, rate: float) -> dict[str, Any]:  # fmt: skip
    """Pull through a paced proxy, SIGKILL it mid-shard, pull again; what each proxy passed."""
    shards = {s["name"]: s["filesize"] for s in manifest["shardlist"]}
    first = list(shards)[:PARALLEL]  # the pool's first transfers
    with counting.counting_proxy(rate=rate) as slow:
        killed = subprocess.Popen(
            pull_command(export_id, folder),
            env=kindred_env(bench.env, slow.env()),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 600
        while not all(_held(folder, n) * 3 >= shards[n] for n in first):
            if killed.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the paced pull ended or stalled before the kill")
            time.sleep(0.01)
        time.sleep(0.5 * pull.CHUNK / rate)  # into a read, not just after a write
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        kept = {n: _held(folder, n) for n in shards}
        passed = {n: slow.body_bytes(n) for n in shards}
    with counting.counting_proxy() as proxy:
        summary, _ = run_pull(bench, export_id, folder, proxy.env())
        resumed = {n: proxy.requests(n) for n in shards}
        again = {n: proxy.body_bytes(n) for n in shards}
    exact = all(
        [(r.range, r.status, r.body_bytes) for r in resumed[n]] == _rest(kept[n], size)
        for n, size in shards.items()
    )
    in_flight = [n for n in shards if 0 < kept[n] < shards[n]]
    lost = {n: passed[n] - kept[n] for n in shards}
    return {
        "fetched": sum(passed.values()) + sum(again.values()),
        "lost": lost,
        "in_flight": len(in_flight),
        "kept_at_kill": sum(kept.values()),
        "resumed": summary["resumed"],
        "exact_ranges": exact,
        "verified": summary["verified"],
    }


def _held(folder: Path, name: str) -> int:
    """Bytes of the shard on disk: all of it once renamed, else its .part's."""
    for path in (folder / name, folder / f"{name}.part"):
        with contextlib.suppress(FileNotFoundError):
            return path.stat().st_size
    return 0


def _rest(kept: int, size: int) -> list[tuple[str | None, int, int]]:
    """The one request (Range, status, body bytes) a resumed pull should send for a shard."""
    if kept == size:
        return []
    return [(f"bytes={kept}-", 206, size - kept) if kept else (None, 200, size)]


def run(quick: bool) -> list[Figure]:
    plan = QUICK if quick else FULL
    with media_stack(plan.sizes) as bench, tempfile.TemporaryDirectory(prefix="pull-") as tmp:
        collection = collect(bench, plan.sizes)
        manifest, _ = export(bench, collection, plan.sizes.shard_bytes)
        export_id = manifest["export"]
        names = [s["name"] for s in manifest["shardlist"]]
        pulls, plains = [], []
        for _ in range(plan.repeats):  # alternated, so neither has the warmer turn
            pulls.append(run_pull(bench, export_id, Path(tmp) / "pulled"))
            plains.append(download_baseline(bench, export_id, names, Path(tmp) / "plain"))
            for folder in ("pulled", "plain"):  # each turn from an empty folder
                shutil.rmtree(Path(tmp) / folder)
        summary, wall = sorted(pulls, key=lambda done: done[0]["seconds"])[len(pulls) // 2]
        plain = statistics.median(plains)
        kill = killed_mid_shard(bench, export_id, manifest, Path(tmp) / "killed", plan.rate)
    total = manifest["totals"]["bytes"]
    params = {"shards": len(names), "bytes": total, "shard_bytes": plan.sizes.shard_bytes,
              "parallel": PARALLEL, "pull_seconds": summary["seconds"],
              "pull_wall_seconds": round(wall, 2), "plain_seconds": round(plain, 3),
              "repeats": plan.repeats}  # fmt: skip
    print(f"pull: {params}; kill: {dict(kill, lost=sorted(kill['lost'].values()))}",
          file=sys.stderr)  # fmt: skip
    again = kill["fetched"] - total
    allowed = kill["in_flight"] * IN_FLIGHT
    worst = max(kill["lost"].values())
    kill_params = {"bytes": total, "shards": len(names), "parallel": PARALLEL,
                   "paced_bytes_per_s": plan.rate, "shards_in_flight": kill["in_flight"],
                   "kept_at_kill": kill["kept_at_kill"], "resumed": kill["resumed"],
                   "worst_shard_lost": worst, "allowed": allowed,
                   "ranges_exact": kill["exact_ranges"]}  # fmt: skip
    return [
        Figure(
            f"pull: bytes/s, --parallel {PARALLEL}, sha256 checked",
            summary["bytes_fetched"] / summary["seconds"],
            "B/s",
            total / plain,
            "a plain download of the same objects, one by one (google-cloud-storage)",
            params,
        ),
        Figure(
            "pull: bytes fetched twice after a SIGKILL mid-shard and a restart",
            again,
            "B",
            total,
            "the shards' bytes (a restart from nothing)",
            kill_params,
            f"<= {IN_FLIGHT // 1024} KiB a shard in flight (one 64 KiB read + one 16 KiB "
            "proxy write), resumed at the .part's size",
            bool(
                again == sum(kill["lost"].values())
                and worst <= IN_FLIGHT
                and kill["exact_ranges"]
                and kill["verified"] == len(names)
            ),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return module_main(run, __doc__ or "", argv)


if __name__ == "__main__":
    raise SystemExit(main())
