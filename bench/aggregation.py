"""Figure 4, aggregation: edges merged per second and peak memory, beside a plain Counter.

The aggregate step runs in a 512 MB Cloud Function, so what matters is whether `merge_parts`
(bounded-memory merging of sorted runs) fits there at 100 M edges, and what that costs in speed
against the obvious alternative: decode every run into one `collections.Counter`.

The input is a synthetic audience: followers in pages of `group`, each following the target
plus `follows - 1` accounts drawn from a power law over `pool` accounts, each page stored as one
sorted run, as the pipeline stores it. Sizes nest (the 1 M input is the first pages of the 10 M
one), so each page is generated once. Each contender runs in a fresh subprocess
(`python -m bench.aggregation --worker ...`) so that its peak RSS is its own; both are single
threaded, so with two cores or more they run side by side, under the same conditions, which
keeps the full run under 30 minutes (the Counter takes 4 minutes at 100 M edges).

Run alone: `python -m bench.aggregation [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, cast

from bench.figures import Figure
from kindred.config import Settings
from kindred.core import tally
from kindred.core.cost import Meter
from kindred.core.errors import NotFound
from kindred.core.ranking import Popular, top_popular
from kindred.ports import BlobStore
from kindred.services.aggregate import FAN_IN, merge_parts
from kindred.services.deps import Deps

FULL_EDGES = (1_000_000, 10_000_000, 100_000_000)
QUICK_EDGES = FULL_EDGES[:2]
TOP = 300  # candidates the aggregate step keeps: options.top_candidates' default
MEMORY_MB = 512  # the aggregate function's memory; Cloud Functions' "MB" are MiB
CHUNK_BYTES = 256 * 1024  # as the Cloud Storage adapter streams
ANALYSIS = "bench"
REPO = Path(__file__).resolve().parents[1]
DID_ALPHABET = b"abcdefghijklmnopqrstuvwxyz234567"


class DirBlobs(BlobStore):
    """The BlobStore on a local directory: object names become paths below `root`."""

    def __init__(self, root: Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.root = root
        self.chunk_bytes = chunk_bytes

    def _path(self, name: str) -> Path:
        return self.root / name

    def write(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def read(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError as error:
            raise NotFound(f"{self._path(name)} does not exist") from error

    def stream(self, name: str) -> Iterator[bytes]:
        try:
            reader = self._path(name).open("rb")
        except FileNotFoundError as error:
            raise NotFound(f"{self._path(name)} does not exist") from error
        with reader:
            while chunk := reader.read(self.chunk_bytes):
                yield chunk


# --- The synthetic audience (not timed). numpy is imported inside these functions so that the
# --- workers, whose peak RSS is the figure, never load it.


@dataclass(frozen=True)
class Audience:
    """Who follows whom: the shape of the synthetic input.

    `zipf_s` 0.6 over 10 M accounts gives a top account followed by ~40% of followers, the 300th
    by ~2%, and a long tail of accounts followed by one or two: a flat enough law that sampling
    1,000 distinct follows per follower still leaves the head short of "everyone".
    """

    follows: int = 1_000  # per follower, the target included
    group: int = 100  # followers per page, so per sorted run
    pool: int = 10_000_000  # accounts the follows are drawn from
    zipf_s: float = 0.6
    seed: int = 4

    def groups(self, edges: int) -> int:
        return edges // (self.follows * self.group)


def part_name(group: int) -> str:
    return f"groups/{group:05d}.tsv.z"


def account_ids(ranks: Any) -> Any:
    """DID-shaped ids (`did:plc:` + 24 base32 chars) for account numbers, as numpy `S32`.

    The top 64 of the 120 bits come from a bijective mix of the number, so ids never collide,
    and look random, so sorted runs interleave as real ones do. Rank 0 is the target.
    """
    import numpy as np

    def mix(x: Any) -> Any:  # splitmix64's finaliser: a bijection on 64 bits
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))

    numbers = np.asarray(ranks, dtype=np.uint64)
    high, low = mix(numbers), mix(numbers ^ np.uint64(0xD1B54A32D192ED03))
    out = np.empty((numbers.size, 32), dtype=np.uint8)
    out[:, :8] = np.frombuffer(b"did:plc:", dtype=np.uint8)
    alphabet = np.frombuffer(DID_ALPHABET, dtype=np.uint8)
    for i in range(24):  # character i holds bits 127-5i .. 123-5i of high:low
        shift = 123 - 5 * i
        if shift >= 64:
            bits = high >> np.uint64(shift - 64)
        elif shift <= 59:
            bits = low >> np.uint64(shift)
        else:
            bits = (high << np.uint64(64 - shift)) | (low >> np.uint64(shift))
        out[:, 8 + i] = alphabet[(bits & np.uint64(31)).astype(np.intp)]
    return out.view("S32").ravel()


def target_id() -> str:
    return account_ids([0])[0].decode()


def _zipf_ranks(rng: Any, shape: tuple[int, int], pool: int, s: float) -> Any:
    """Account numbers 1..pool, P(rank) falling as rank**-s (a continuous power law, floored)."""
    import numpy as np

    u = rng.random(shape)
    if s == 1.0:
        drawn = (pool + 1.0) ** u
    else:
        drawn = (1.0 + u * ((pool + 1.0) ** (1.0 - s) - 1.0)) ** (1.0 / (1.0 - s))
    return np.minimum(drawn.astype(np.int64), pool)


def _distinct_follows(rng: Any, audience: Audience) -> Any:
    """Per follower, the first follows-1 distinct accounts drawn: sampling without replacement."""
    import numpy as np

    wanted, followers = audience.follows - 1, audience.group
    width = wanted + 16
    while True:
        ranks = _zipf_ranks(rng, (followers, width), audience.pool, audience.zipf_s)
        flat = (np.arange(followers, dtype=np.int64)[:, None] * (audience.pool + 1) + ranks).ravel()
        first = np.sort(np.unique(flat, return_index=True)[1])  # first draws, in draw order
        owner = first // width
        nth = np.arange(first.size) - np.searchsorted(owner, np.arange(followers))[owner]
        if np.bincount(owner, minlength=followers).min() >= wanted:
            return ranks.ravel()[first[nth < wanted]]
        width *= 2  # a small pool repeats itself: draw more


def group_run(audience: Audience, group: int) -> list[tuple[str, int]]:
    """One page's union tally, sorted by id: how many of its followers follow each account."""
    import numpy as np

    assert audience.pool >= audience.follows, "the pool must hold follows distinct accounts"
    rng = np.random.default_rng([audience.seed, group])
    follows = _distinct_follows(rng, audience)
    target = np.zeros(audience.group, dtype=np.int64)  # every follower follows the target
    ranks, counts = np.unique(np.concatenate([follows, target]), return_counts=True)
    ids = account_ids(ranks)
    order = np.argsort(ids)
    return list(zip(ids[order].astype("U32").tolist(), counts[order].tolist(), strict=True))


def write_group(root: Path, audience: Audience, group: int) -> None:
    DirBlobs(root).write(part_name(group), tally.write_run(group_run(audience, group)))


def write_groups(root: Path, audience: Audience, groups: range, workers: int = 0) -> None:
    """Pages `groups` as sorted runs under root; on every core unless `workers` says otherwise.

    The pool is spawned, not forked, so that a big parent is not copied; spawning re-imports
    the parent's main module, so `workers=1` (in this process) is for callers without one.
    """
    workers = min(workers or os.cpu_count() or 1, len(groups))
    if workers <= 1:
        for group in groups:
            write_group(root, audience, group)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(write_group, [root] * len(groups), [audience] * len(groups), groups))


# --- The contenders: each returns the top candidates and, when it knows it, how many accounts.


class _Unused:
    """Stands in for a port merge_parts has no business with: any use fails loudly."""

    def __init__(self, port: str) -> None:
        self.port = port

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"merge_parts used deps.{self.port}.{name}")


def merge_with_parts(blobs: BlobStore, groups: int, top: int = TOP) -> tuple[list[Popular], None]:
    """The aggregate step's own merge and selection, as `aggregate_step` calls them."""
    unused = cast(Any, _Unused)
    deps = Deps(
        settings=Settings(),
        store=unused("store"),
        blobs=blobs,
        queue=unused("queue"),
        graph=unused("graph"),
        clock=unused("clock"),
        meter=Meter(),
    )
    merged = merge_parts(deps, ANALYSIS, [part_name(g) for g in range(groups)])
    return top_popular(merged, top, exclude=target_id()), None


def merge_with_counter(blobs: BlobStore, groups: int, top: int = TOP) -> tuple[list[Popular], int]:
    """The obvious way: every run decoded whole into one Counter.

    Selected with `top_popular` rather than `most_common`, whose ties fall in insertion order,
    so both contenders break ties the same way (by id) and their top lists can be compared.
    """
    counts: Counter[str] = Counter()
    for group in range(groups):
        counts.update(tally.decode(blobs.read(part_name(group))))
    return top_popular(counts.items(), top, exclude=target_id()), len(counts)


CONTENDERS: dict[str, Callable[[BlobStore, int], tuple[list[Popular], int | None]]] = {
    "merge_parts": merge_with_parts,
    "counter": merge_with_counter,
}


# --- One contender in its own process.


def memory_kib() -> dict[str, int]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in KiB.

    VmHWM rather than ru_maxrss: on Linux ru_maxrss survives exec, so a worker started by a
    parent holding 800 MB reports 800 MB (tried: VmHWM said 11 MB).
    """
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return {"rss_kib": fields["VmRSS"], "peak_kib": fields["VmHWM"]}


def work(contender: str, root: Path, groups: int) -> dict[str, Any]:
    """Run one contender here and now; what `measure` reads from the worker's stdout."""
    start = memory_kib()["rss_kib"]
    began = time.perf_counter()
    popular, accounts = CONTENDERS[contender](DirBlobs(root), groups)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "start_kib": start,
        "peak_kib": memory_kib()["peak_kib"],
        "accounts": accounts,
        "top": [[p.id, p.overlap] for p in popular],
    }


def measure(contender: str, root: Path, groups: int) -> dict[str, Any]:
    """Run one contender in a fresh interpreter, so its peak RSS is its own."""
    command = [sys.executable, "-m", "bench.aggregation", "--worker", contender]
    command += ["--root", str(root), "--groups", str(groups)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{contender} worker exited {done.returncode}: {done.stderr[-2000:]}")
    shutil.rmtree(root / "analyses", ignore_errors=True)  # merge_parts' intermediate runs
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_both(root: Path, groups: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """merge_parts' and the Counter's measures, side by side when there are two cores."""
    side_by_side = (os.cpu_count() or 1) >= 2
    with ThreadPoolExecutor(2 if side_by_side else 1) as pool:
        parts = pool.submit(measure, "merge_parts", root, groups)
        counter = pool.submit(measure, "counter", root, groups)
        return parts.result(), counter.result()


# --- The figure.


def _label(edges: int) -> str:
    return f"{edges // 1_000_000}M" if edges >= 1_000_000 else f"{edges // 1000}k"


def _mb(kib: int) -> float:
    return round(kib / 1024, 1)


def compare(edges: int, parts: dict[str, Any], counter: dict[str, Any]) -> None:
    """Raise AssertionError unless both contenders chose the same candidates, counts and order."""
    ours, theirs = parts["top"], counter["top"]
    if ours == theirs:
        return
    differ = [(i, a, b) for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b][:3]
    raise AssertionError(
        f"top {TOP} differ at {_label(edges)} edges: {len(ours)} vs {len(theirs)} entries, "
        f"first differences (rank, merge_parts, Counter): {differ}"
    )


def figures_for(
    edges: int, parts: dict[str, Any], counter: dict[str, Any], params: dict[str, Any]
) -> list[Figure]:
    label = _label(edges)
    baseline_label = "collections.Counter merge, same run"
    params = {
        **params,
        "seconds": round(parts["seconds"], 2),
        "baseline_seconds": round(counter["seconds"], 2),
        "rss_at_start_mb": _mb(parts["start_kib"]),
        "distinct_accounts": counter["accounts"],
    }
    peak, counter_peak = _mb(parts["peak_kib"]), _mb(counter["peak_kib"])
    return [
        Figure(
            f"aggregate edges/s @{label}",
            round(edges / parts["seconds"]),
            "edges/s",
            round(edges / counter["seconds"]),
            baseline_label,
            params,
        ),
        Figure(
            f"aggregate peak RSS @{label}",
            peak,
            "MB",
            counter_peak,
            baseline_label,
            params,
            target=f"≤ {MEMORY_MB} MB (the Cloud Function's memory)",
            met=peak <= MEMORY_MB,
        ),
    ]


def run(quick: bool, audience: Audience | None = None) -> list[Figure]:
    """Figure 4 at 1 M and 10 M edges (quick), or also at 100 M (full)."""
    audience = audience or Audience()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="kindred-bench-aggregation-") as scratch:
        root, written = Path(scratch), 0
        for edges in QUICK_EDGES if quick else FULL_EDGES:
            groups = audience.groups(edges)
            load = os.getloadavg()[0]  # other work on the machine skews edges/s: say how much
            began = time.perf_counter()
            write_groups(root, audience, range(written, groups))
            generated, written = time.perf_counter() - began, groups
            parts, counter = measure_both(root, groups)
            compare(edges, parts, counter)
            params = {
                "edges": edges,
                "followers": groups * audience.group,
                "follows": audience.follows,
                "groups": groups,
                "pool": audience.pool,
                "zipf_s": audience.zipf_s,
                "fan_in": FAN_IN,
                "top": TOP,
                "generate_seconds": round(generated, 1),
                "load_average": round(load, 2),
            }
            figures += figures_for(edges, parts, counter, params)
    return figures


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "target", "met")]
    for f in figures:
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        met = "" if f.met is None else ("yes" if f.met else "NO")
        baseline = "" if f.baseline is None else f"{f.baseline:,}"
        rows.append((f.name, f"{f.value:,} {f.unit}", baseline, ratio, f.target, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def notes(figures: list[Figure]) -> str:
    """Per size, what the table leaves out: seconds, input generation, accounts, machine load."""
    lines = []
    for f in figures[::2]:
        p = f.params
        lines.append(
            f"{_label(p['edges'])}: merge_parts {p['seconds']} s, Counter {p['baseline_seconds']} s"
            f", {p['distinct_accounts']:,} accounts, input generated in {p['generate_seconds']} s"
            f", load average {p['load_average']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aggregation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 M and 10 M edges only")
    parser.add_argument("--worker", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--groups", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(work(args.worker, args.root, args.groups)))
        return 0
    began = time.perf_counter()
    figures = run(args.quick)
    print(table(figures) + "\n\n" + notes(figures))
    mode = "quick" if args.quick else "full"
    print(f"\nwhole figure ({mode}): {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
