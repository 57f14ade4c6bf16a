"""Which posts each account has, derived from (dataset, account) with vectorised hashing.

Nothing is stored: an account's posts are numbered 0..n-1 (oldest first) and every fact about
post p (its kind, time, images, what it replies to or reposts) is a splitmix64 hash of
(account seed, p), computed for all of an account's posts at once in numpy (~0.2 ms for 5,000).

- counts are heavy-tailed: 40% of accounts have none, the rest a Pareto(1) number capped at
  5,000 (about one account in 1,700 has a thousand or more); an account that many follow
  posts regularly: one with POPULAR followers or more has at least a quarter of its follower
  count in posts (the bundled graph's 1,903 such accounts, its largest with 845), so the
  accounts a user is likely to name, or an analysis to find, have images;
- 10% of the slots repost, 15% reply to another account's post and 8% continue the author's
  own thread; a repost or reply target is a post of an account the author follows (any account
  when it follows no one who posts), an original post older than the repost; when the one drawn
  is not, the slot is an original post;
- all posts fall between FEED_START and FEED_END, evenly spread per account with jitter;
- 30% of non-repost posts carry 1 to 4 images.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from kindred_infra.graph_server.graph import Graph

ORIGINAL, REPOST, REPLY, SELF_REPLY = 0, 1, 2, 3
MAX_POSTS = 5000
POPULAR = 128  # followers from which an account posts at least followers // 4 times
# Every account posts between these (after the last profile's createdAt), in microseconds.
FEED_START = int(datetime(2025, 2, 1, tzinfo=UTC).timestamp()) * 1_000_000
FEED_END = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp()) * 1_000_000
_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_STATUS_SALT, _COUNT_SALT, _POST_SALT, _TIME_SALT = (_U64(x) for x in (11, 23, 37, 41))


def mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array (wrapping arithmetic, no warnings)."""
    x = values.astype(_U64) + _GOLDEN
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


@dataclass(frozen=True, eq=False)
class AccountPosts:
    """All posts of one account, index p = 0 (oldest) .. n-1; arrays of length n."""

    account: int
    index: int  # dense index in the graph
    keys: np.ndarray  # uint64: the hash each post's details are drawn from
    kinds: np.ndarray  # int8: ORIGINAL, REPOST, REPLY, SELF_REPLY (after checking targets)
    images: np.ndarray  # int8: 0..4 (0 for reposts)
    times: np.ndarray  # int64: epoch microseconds, strictly increasing
    target_index: np.ndarray  # int64: dense index of the reposted or replied-to account
    target_post: np.ndarray  # int64: its post number
    roots: np.ndarray  # int64: for SELF_REPLY, the author's post that starts the thread

    @property
    def count(self) -> int:
        return int(self.keys.size)


class PostModel:
    """Posts of every account of one graph; pure functions of the dataset name and the graph."""

    def __init__(self, graph: Graph, dataset: str) -> None:
        self.graph, self.dataset = graph, dataset
        digest = hashlib.blake2b(f"posts|{dataset}".encode(), digest_size=8).digest()
        self._key = _U64(int.from_bytes(digest, "big"))
        followers = np.diff(graph.in_indptr)
        self._floor = np.where(followers >= POPULAR, followers // 4, 0).astype(np.int64)

    def seeds(self, accounts: np.ndarray) -> np.ndarray:
        return mix(accounts.astype(_U64) ^ self._key)

    def counts(self, accounts: np.ndarray) -> np.ndarray:
        """Number of posts of each account (int64), heavy-tailed."""
        draw = mix(self.seeds(accounts) ^ _COUNT_SALT)
        has_posts = (draw & _U64(0xFF)) >= _U64(102)  # 40% have none
        uniform = (draw >> _U64(11)).astype(np.float64) / 2.0**53
        pareto = np.floor(1.0 / (1.0 - uniform * (1.0 - 1.0 / MAX_POSTS)))
        drawn = np.where(has_posts, pareto, 0).astype(np.int64)
        floor = self._floor[np.searchsorted(self.graph.ids, accounts)]  # ids are sorted
        return np.minimum(np.maximum(drawn, floor), MAX_POSTS)

    def statuses(self, accounts: np.ndarray) -> np.ndarray:
        """0 = active; 1 takendown, 2 suspended, 3 deactivated (each about 1 account in 500)."""
        draw = mix(self.seeds(accounts) ^ _STATUS_SALT) % _U64(500)
        return np.where(draw < _U64(3), draw + _U64(1), _U64(0)).astype(np.int64)

    def account(self, index: int) -> AccountPosts:
        account = int(self.graph.ids[index])
        n = int(self.counts(np.array([account]))[0])
        keys = self._keys(account, np.arange(n, dtype=np.int64))
        times = self.times(account, n, np.arange(n, dtype=np.int64))
        intent = (keys & _U64(0xFF)).astype(np.int64)
        intent = np.select([intent < 26, intent < 64, intent < 84], [REPOST, REPLY, SELF_REPLY], 0)
        targets, posts, ok = self._targets(index, keys, times)
        kinds = np.where(np.isin(intent, (REPOST, REPLY)) & ~ok, ORIGINAL, intent)
        starts = np.maximum.accumulate(np.where(kinds != SELF_REPLY, np.arange(n), -1))
        roots = np.where(kinds == SELF_REPLY, starts, -1)
        valid = (roots >= 0) & (kinds[np.maximum(roots, 0)] == ORIGINAL) if n else roots >= 0
        kinds = np.where((kinds == SELF_REPLY) & ~valid, ORIGINAL, kinds).astype(np.int8)
        images = np.where(kinds == REPOST, 0, _image_counts(keys)).astype(np.int8)
        return AccountPosts(account, index, keys, kinds, images, times, targets, posts, roots)

    def times(self, account: int, n: int, posts: np.ndarray) -> np.ndarray:
        """Epoch microseconds of posts of an account with n posts: strictly increasing."""
        steps = _step(np.full(posts.size, n, dtype=np.int64))
        seeds = self.seeds(np.full(posts.size, account, dtype=np.int64))
        return FEED_START + posts * steps + self._jitter(seeds, posts, steps)

    def _jitter(self, seeds: np.ndarray, posts: np.ndarray, steps: np.ndarray) -> np.ndarray:
        return (mix(self._post_keys(seeds, posts) ^ _TIME_SALT) % steps.astype(_U64)).astype(
            np.int64
        )

    def keys(self, account: int, posts: np.ndarray) -> np.ndarray:
        """The hash of each of an account's posts."""
        return self._keys(account, posts)

    def _keys(self, account: int, posts: np.ndarray) -> np.ndarray:
        return self._post_keys(self.seeds(np.array([account])), posts)

    def _post_keys(self, seeds: np.ndarray, posts: np.ndarray) -> np.ndarray:
        return mix((posts.astype(_U64) * _GOLDEN) ^ seeds ^ _POST_SALT)

    def _targets(
        self, index: int, keys: np.ndarray, times: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each slot, an account followed and one of its original posts older than it."""
        pool = self.graph.follows(index).astype(np.int64)
        pool = pool[self.counts(self.graph.ids[pool]) > 0]
        pick = (keys >> _U64(24)) & _U64(0xFFFFFF)
        size = pool.size or self.graph.nodes  # no followed account posts: anyone
        targets = (pick % _U64(size)).astype(np.int64)
        if pool.size:
            targets = pool[targets]
        accounts = self.graph.ids[targets]
        counts = self.counts(accounts)
        seeds, steps = self.seeds(accounts), _step(counts)
        whole = np.minimum((times - FEED_START) // steps, counts)  # posts surely older
        edge = FEED_START + whole * steps + self._jitter(seeds, whole, steps)
        older = whole + ((whole < counts) & (edge < times))  # and the next one, if it is
        choice = ((keys >> _U64(40)) % _U64(1 << 24)).astype(np.int64)
        posts = choice % np.maximum(older, 1)
        intent = self._post_keys(seeds, posts) & _U64(0xFF)
        return targets, posts, (older > 0) & (intent >= _U64(84))


def _step(counts: np.ndarray) -> np.ndarray:
    """Microseconds between an account's posts: its n posts spread over the feed's span."""
    return (FEED_END - FEED_START) // np.maximum(counts, 1)


def _image_counts(keys: np.ndarray) -> np.ndarray:
    has = ((keys >> _U64(8)) & _U64(0xFF)) < _U64(77)  # 30%
    draw = (keys >> _U64(16)) & _U64(0xFF)
    count = np.select([draw < 140, draw < 191, draw < 217], [1, 2, 3], 4)
    return np.where(has, count, 0)
