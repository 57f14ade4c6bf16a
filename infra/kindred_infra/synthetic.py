"""A seeded synthetic follow graph whose most similar accounts are known in advance.

Benchmarks need targets with 1k, 10k and 100k followers, and a way to tell whether the analysis
found the right answer; no public graph gives both. This one has a target account with exactly
`followers` followers, split into planted communities. Each community has a few kindred accounts
that most of its members follow: those are the accounts most similar to the target, by design.

Ids are laid out from the spec alone, so they are known without reading the file:

    1                    the target (TARGET)
    2 .. 1 + C*K         kindred accounts, K per community, community 0's first
    next pool_factor*N   the popularity pool, most popular first (Zipf-Mandelbrot weights)
    next N               the target's followers
    after those          outsiders: the audience of kindred and popular accounts beyond the target's

Followers follow a lognormal number of accounts (median ~25, ~6 % past 100, capped at
`max_follows`), drawn from the pool by popularity, plus their community's kindred accounts.
Only edges the analysis reads exist: followers of the target, their follows, and enough
outsiders that profiles report real follower counts. A popular account's outsiders hold its
cosine with the target below the kindred accounts' (`pool_cosine`), as a celebrity's huge
audience would, so the kindred accounts rank first.

Same spec, same numpy: byte-identical file (gzip with mtime 0 and no name in the header).
"""

from __future__ import annotations

import gzip
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click
import numpy as np

from kindred_infra.graph_server.graph import sorted_unique
from kindred_infra.graph_server.identity import dataset_name_from

TARGET = 1
MAX_FOLLOWERS = 100_000_000  # keeps every id (about 6 N at most) below 2**31
_CHUNK = 1 << 20  # edges formatted per pass: bounds the digit buffers to ~100 MB
_LOW = (1 << 32) - 1  # ids stay far below 2**31, so an edge packs into one int64


@dataclass(frozen=True)
class SyntheticSpec:
    """Everything that shapes the graph; the seed makes it reproducible."""

    followers: int = 100_000  # N: exactly this many accounts follow the target
    seed: int = 1
    communities: int = 4  # C: the target's followers are split evenly at random among these
    kindred_per_community: int = 3  # K: planted similar accounts per community
    median_follows: float = 22.0  # of a follower's lognormal follow count
    follows_sigma: float = 1.0  # lognormal sigma: ~6 % of followers follow more than 100
    max_follows: int = 5_000
    pool_factor: float = 2.0  # the pool holds pool_factor * N accounts
    zipf_exponent: float = 1.0  # pool rank r is drawn with weight (r + zipf_offset) ** -exponent
    zipf_offset: float = 10.0  # flattens the head: the top account reaches ~25 % of followers
    kindred_uptake: tuple[float, float] = (0.6, 0.9)  # share of its community following each
    kindred_leak: float = 0.02  # chance that a follower from another community follows one
    kindred_outside: tuple[float, float] = (0.2, 0.8)  # outsiders per overlapping follower
    generic_cosine: float | None = None  # highest cosine of a pool account; None: see below

    def __post_init__(self) -> None:
        if self.followers < 1 or self.communities < 1 or self.kindred_per_community < 1:
            raise ValueError(f"followers, communities and kindred must be >= 1: {self}")
        if self.followers > MAX_FOLLOWERS:
            raise ValueError(
                f"followers {self.followers:,} > {MAX_FOLLOWERS:,}: ids must fit 31 bits"
            )
        if self.max_follows <= self.kindred_count + 1:
            raise ValueError(f"max_follows {self.max_follows} leaves no room for pool follows")

    @property
    def kindred_count(self) -> int:
        return self.communities * self.kindred_per_community

    @property
    def pool_cosine(self) -> float:
        """generic_cosine, else 0.8 x the weakest kindred account's expected cosine.

        A kindred account's cosine is about sqrt(share / (1 + outside)), share being the part of
        the audience that follows it; the 0.8 leaves room for sampling noise at small N.
        """
        if self.generic_cosine is not None:
            return self.generic_cosine
        share = self.kindred_uptake[0] / self.communities + self.kindred_leak
        return 0.8 * math.sqrt(share / (1 + self.kindred_outside[1]))

    @property
    def pool_size(self) -> int:
        return max(1, round(self.pool_factor * self.followers))

    @property
    def pool_ids(self) -> range:
        """Pool accounts, most popular first."""
        start = TARGET + 1 + self.kindred_count
        return range(start, start + self.pool_size)

    @property
    def follower_ids(self) -> range:
        return range(self.pool_ids.stop, self.pool_ids.stop + self.followers)

    def planted_similar(self) -> tuple[int, ...]:
        """The kindred accounts: the analysis should rank these above every other account."""
        return tuple(range(TARGET + 1, TARGET + 1 + self.kindred_count))


def edge_array(spec: SyntheticSpec) -> np.ndarray:
    """All edges as an (E, 2) int64 array of (follower, followed), sorted, no duplicates."""
    keys = _edge_keys(spec)
    return np.stack([keys >> 32, keys & _LOW], axis=1)


def generate(spec: SyntheticSpec) -> Iterator[tuple[int, int]]:
    """The edges (A follows B) as Python ints, in file order; for small graphs and tests."""
    followers, followed = edge_array(spec).T.tolist()
    yield from zip(followers, followed, strict=True)


@dataclass(frozen=True)
class Written:
    """What write_edges wrote, for its caller to report."""

    edges: int
    accounts: int


def write_edges(spec: SyntheticSpec, path: Path) -> Written:
    """Write `A B` lines, gzip when the name ends in .gz; replaces path only once complete."""
    keys = _edge_keys(spec)
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as raw:
        if path.name.endswith(".gz"):
            # No name and mtime 0 in the header: the bytes depend on the spec alone.
            # Level 6: as small as 9 (within 0.1 %), eight times faster.
            with gzip.GzipFile("", "wb", compresslevel=6, fileobj=raw, mtime=0) as out:
                _write_lines(keys, out)
        else:
            _write_lines(keys, raw)
    partial.replace(path)
    return Written(edges=keys.size, accounts=_count_accounts(keys))


def _edge_keys(spec: SyntheticSpec) -> np.ndarray:
    """Every edge as follower << 32 | followed, ascending: one int64 each keeps memory low."""
    rng = np.random.default_rng(spec.seed)
    n, first_kin, first_follower = spec.followers, TARGET + 1, spec.follower_ids.start
    community = rng.integers(0, spec.communities, n)
    follows = _follow_counts(spec, rng)
    kin_src, kin_dst = _kindred_follows(spec, rng, community)
    pool_src, pool_dst = _pool_follows(spec, rng, follows)
    overlap_kin = np.bincount(kin_dst, minlength=spec.kindred_count)
    overlap_pool = np.bincount(pool_dst, minlength=spec.pool_size)
    ratio = rng.uniform(*spec.kindred_outside, spec.kindred_count)
    outside = np.concatenate(
        [np.rint(overlap_kin * ratio).astype(np.int64), _pool_outside(spec, rng, overlap_pool)]
    )
    out_src, out_dst = _outsider_follows(spec, rng, outside)
    keys = np.concatenate(
        [
            ((np.arange(n) + first_follower) << 32) | TARGET,
            ((kin_src + first_follower) << 32) | (kin_dst + first_kin),
            ((pool_src + first_follower) << 32) | (pool_dst + spec.pool_ids.start),
            ((out_src + spec.follower_ids.stop) << 32) | (out_dst + first_kin),  # kindred, pool
        ]
    )
    keys.sort()
    return keys


def _follow_counts(spec: SyntheticSpec, rng: np.random.Generator) -> np.ndarray:
    """Pool draws per follower: discrete lognormal, within max_follows once kindred are added."""
    raw = rng.lognormal(math.log(spec.median_follows), spec.follows_sigma, spec.followers)
    room = spec.max_follows - spec.kindred_count - 1  # the target is followed too
    return np.clip(np.rint(raw), 1, room).astype(np.int64)


def _kindred_follows(
    spec: SyntheticSpec, rng: np.random.Generator, community: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(follower, kindred) index pairs: likely within a community, rare across."""
    uptake = rng.uniform(*spec.kindred_uptake, spec.kindred_count)
    home = np.arange(spec.kindred_count) // spec.kindred_per_community
    chance = np.where(community[:, None] == home[None, :], uptake[None, :], spec.kindred_leak)
    follower, kindred = np.nonzero(rng.random(chance.shape) < chance)
    return follower, kindred


def _pool_follows(
    spec: SyntheticSpec, rng: np.random.Generator, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(follower, pool rank) pairs drawn by popularity; repeated draws count once."""
    ranks = np.arange(1, spec.pool_size + 1, dtype=np.float64)
    cdf = np.cumsum((ranks + spec.zipf_offset) ** -spec.zipf_exponent)
    draws = np.searchsorted(cdf, rng.random(int(counts.sum())) * cdf[-1], side="right")
    keys = np.repeat(np.arange(spec.followers, dtype=np.int64), counts) * spec.pool_size
    keys = sorted_unique(keys + np.minimum(draws, spec.pool_size - 1))
    return keys // spec.pool_size, keys % spec.pool_size


def _pool_outside(spec: SyntheticSpec, rng: np.random.Generator, overlap: np.ndarray) -> np.ndarray:
    """Outsiders per pool account: enough that its cosine is at most pool_cosine.

    cosine = o / sqrt(N * (o + outside)) <= c  when  o + outside >= o**2 / (N * c**2); a random
    factor in [1, 1.5] keeps the popular accounts from all sitting exactly at the bound.
    """
    bound = overlap.astype(np.float64) ** 2 / (spec.followers * spec.pool_cosine**2)
    wanted = np.ceil(bound * rng.uniform(1.0, 1.5, overlap.size)).astype(np.int64)
    return np.maximum(wanted - overlap, 0)


def _outsider_follows(
    spec: SyntheticSpec, rng: np.random.Generator, outside: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(outsider, account) pairs; account j gets outside[j] distinct outsiders.

    Account j takes outsiders offset_j + i * stride_j (mod M) for i < outside[j]: with M a power
    of two and odd strides these never repeat, so no sampling without replacement is needed.
    """
    size = 1 << max(int(outside.max(initial=0)), spec.followers).bit_length()
    offset = rng.integers(0, size, outside.size)
    stride = 2 * rng.integers(0, size // 2, outside.size) + 1
    account = np.repeat(np.arange(outside.size), outside)
    step = np.arange(account.size) - np.repeat(np.cumsum(outside) - outside, outside)
    return (offset[account] + step * stride[account]) % size, account


def _count_accounts(keys: np.ndarray) -> int:
    followers, followed = keys >> 32, keys & _LOW
    seen = np.zeros(int(max(followers.max(), followed.max())) + 1, dtype=bool)
    seen[followers] = True
    seen[followed] = True
    return int(seen.sum())


def _write_lines(keys: np.ndarray, out: IO[bytes] | gzip.GzipFile) -> None:
    for start in range(0, keys.size, _CHUNK):
        chunk = keys[start : start + _CHUNK]
        out.write(_format(np.stack([chunk >> 32, chunk & _LOW], axis=1)))


def _format(edges: np.ndarray) -> bytes:
    """`a b\\n` per edge, built as digit arrays: ~20x faster than formatting line by line."""
    width = len(str(int(edges.max())))
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    cells = np.empty((len(edges), 2 * width + 2), dtype=np.uint8)
    keep = np.ones(cells.shape, dtype=bool)
    for column, first in ((0, 0), (1, width + 1)):
        values = edges[:, column : column + 1]
        cells[:, first : first + width] = values // powers % 10 + ord("0")
        keep[:, first : first + width] = (values >= powers) | (powers == 1)  # no leading zeros
    cells[:, width], cells[:, -1] = ord(" "), ord("\n")
    return cells[keep].tobytes()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--followers", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--communities", type=click.IntRange(min=1), default=4, show_default=True)
@click.option(
    "--kindred",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Planted similar accounts per community.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Edge list to write; gzip when it ends in .gz. Its folder names the dataset.",
)
def main(followers: int, seed: int, communities: int, kindred: int, out: Path) -> None:
    """Write a synthetic follow graph whose target, account 1, has FOLLOWERS followers."""
    spec = SyntheticSpec(followers, seed, communities, kindred)
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    written = write_edges(spec, out)
    seconds = time.perf_counter() - started
    dataset = dataset_name_from(out.resolve().parent.name)
    planted = " ".join(str(i) for i in spec.planted_similar())
    click.echo(
        f"wrote {written.edges:,} edges over {written.accounts:,} accounts to {out} "
        f"in {seconds:.1f} s\ntarget u{TARGET}.{dataset}.test ({followers:,} followers); "
        f"planted similar: {planted}",
        err=True,
    )


if __name__ == "__main__":
    main()
