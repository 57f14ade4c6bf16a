"""Figures 8 to 12: what a media collection (issue H, decision 0007) spends, on fresh stacks with
the graph server's posts and images on (`--media`).

8. images per second and bytes per second of a collection, the feed and blob queues at their
   `queue.yaml` rates, against the blob queue's rate (the ceiling: one getBlob per image);
9. upstream calls (the graph server's `/_stats`) per stored image against the minimum, one
   `getAuthorFeed` page (`posts_with_media`, 100 a page) per page the capped walk reads plus one
   `getBlob` per stored image, fault-free and with `faults=0.1, duplicates=0.1`;
10. Firestore writes per collection (the emulator's journal) against the number of accounts,
    the design's one write per account (plus a few per collection); the baseline is a write per
    image, the scheme the issue forbids;
11. the tasks function's peak RSS during the collection;
12. the seed's job projected at Bluesky's published limits, against the seed's 10 days.

The seed (the "Swipr - Data Collection" write-up this project starts from) scraped Instagram with
InstaLooter, wrapped in a monitor of its own (ILM) that waited out each timeout and went on
down the list of profiles. After Instagram's April 2018 change it got about 20 calls an hour,
each worth some 50 pictures, and could not page past about 20 pages (1,000 pictures) of one
profile. It ran for about 10 days and ended with 279,262 pictures, about 100 GB.

The projection (`project`) assumes: the 279,262 images come from as few profiles as the seed's
1,000-a-profile ceiling allows (280 profiles of ~997; more, smaller profiles only add feed
pages); a feed page holds 100 posts with media carrying the local generator's mix of images
(1 to 4 images: 140, 51, 26, 39 in 256, so 1.86 a post: `kindred_infra.graph_server.posts`);
feed pages are read at the AppView's 3,000 requests per 5 minutes and images at the PDS's
3,000 per 5 minutes, on two budgets at once, each through its queue at `queue.yaml`'s rate
(9/s, kept under the 10/s); every getBlob goes through the one blob budget (decision 0007; a
collector spread over many PDS hosts would have one budget each and go faster); no failures.

Sizes: full 10 accounts of 200 KB images capped at 100 (the faults run: the first 5), quick
3 accounts of 20 KB images capped at 30; the accounts are the bundled graph's first active ones
with enough images of their own to reach the cap. Not 20 accounts of 200: the plain Storage
emulator rewrote one JSON of all its objects' metadata on each write (three objects an image),
and at 4,000 images the collection fell to ~3.6 images/s with the emulator at a full core;
the stack's launcher (`kindred_infra.storage_emulator`) now writes it in pauses, and the full
run went from 6.3 images/s to 8.8 against the queue's 9.

Run alone: `python -m bench.collection [--quick]`.
"""

from __future__ import annotations

import base64
import json
import math
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np

from bench.figures import Figure
from bench.report import module_main
from bench.stack import BenchStack, running_stack
from kindred_infra import paths
from kindred_infra.deploy import load_queues
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.graph_server.posts import REPOST, PostModel
from kindred_infra.stack.plan import firestore_snapshot

FEED, BLOB = "app.bsky.feed.getAuthorFeed", "com.atproto.sync.getBlob"
FEED_QUEUE, BLOB_QUEUE = "upstream-local", "upstream-local-blobs"
FAULTS: dict[str, Any] = {
    "faults": 0.1,
    "duplicates": 0.1,
    "fault_seed": 7,
    "upstream_timeout": 2.0,
    "slow_seconds": 3.0,
}

# The seed's job and Bluesky's published limits (https://docs.bsky.app/docs/advanced-guides/rate-limits).
SEED_IMAGES = 279_262
SEED_DAYS = 10
SEED_PER_PROFILE = 1_000  # InstaLooter could not page past ~20 pages of 50
APPVIEW_LIMIT = (3_000, 300)  # requests, seconds, per address
PDS_LIMIT = (3_000, 300)  # getBlob, per address
POSTS_PER_PAGE = 100
# The local generator's images per post with media (posts._image_counts): 1-4 in these 256ths.
IMAGE_MIX = {1: 140, 2: 51, 3: 26, 4: 39}


@dataclass(frozen=True)
class Sizes:
    accounts: int
    cap: int
    fault_accounts: int  # the faults run's first accounts: the blob queue's 9/s paces both runs
    image_bytes: int | None  # None: the graph server's default (~200 KB)


QUICK = Sizes(accounts=3, cap=30, fault_accounts=3, image_bytes=20_000)
FULL = Sizes(accounts=10, cap=100, fault_accounts=5, image_bytes=None)


@dataclass(frozen=True)
class Run:
    """One collection on its own stack, and what the stack saw of it."""

    label: str
    accounts: list[str]
    cap: int
    result: dict[str, Any]
    seconds: float
    pages: int  # feed pages the capped walk reads, per the graph server's own feed
    expected_images: int  # distinct own images, newest first, capped, per that walk
    calls: dict[str, int]  # graph server's count during the collection, by method and in all
    writes: int  # Firestore writes during the collection (the emulator's journal)
    peak_rss_mb: float
    blob_rate: float  # queue.yaml's rate of the blob queue
    blob_dispatch_rate: float  # getBlob deliveries per second, first to last
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def images(self) -> int:
        return int(self.result["progress"]["images_stored"])

    @property
    def bytes(self) -> int:
        return int(self.result["progress"]["bytes_stored"])

    @property
    def minimum(self) -> int:
        return minimum_calls(self.pages, self.images)

    def params(self) -> dict[str, Any]:
        return {
            "accounts": len(self.accounts),
            "max_per_account": self.cap,
            "images_stored": self.images,
            "images_expected": self.expected_images,
            "bytes_stored": self.bytes,
            "seconds": round(self.seconds, 1),
            "feed_pages": self.pages,
            "graph_calls": self.calls,
            "minimum_calls": self.minimum,
            "firestore_writes": self.writes,
            "blob_queue_rate": self.blob_rate,
            "blob_dispatch_rate": round(self.blob_dispatch_rate, 2),
            **self.settings,
        }


def minimum_calls(pages: int, images: int) -> int:
    """The fewest upstream calls that store `images` images read over `pages` feed pages: every
    page once, one getBlob per image (no account refused, none retried)."""
    return pages + images


def images_per_post(mix: dict[int, int] = IMAGE_MIX) -> float:
    return sum(n * w for n, w in mix.items()) / sum(mix.values())


@dataclass(frozen=True)
class Projection:
    profiles: int
    feed_pages: int
    blob_calls: int
    feed_seconds: float
    blob_seconds: float

    @property
    def seconds(self) -> float:
        """Both budgets run at once: the slower one bounds the job."""
        return max(self.feed_seconds, self.blob_seconds)

    @property
    def hours(self) -> float:
        return self.seconds / 3600


def project(
    images: int = SEED_IMAGES,
    per_profile: int = SEED_PER_PROFILE,
    feed_rate: float | None = None,
    blob_rate: float | None = None,
    per_post: float | None = None,
) -> Projection:
    """The seed's job at these rates (default: Bluesky's published limits), as the module's
    docstring assumes: the fewest profiles, 100 posts a page, `per_post` images a post."""
    feed_rate = feed_rate if feed_rate is not None else APPVIEW_LIMIT[0] / APPVIEW_LIMIT[1]
    blob_rate = blob_rate if blob_rate is not None else PDS_LIMIT[0] / PDS_LIMIT[1]
    per_page = POSTS_PER_PAGE * (per_post if per_post is not None else images_per_post())
    profiles = math.ceil(images / per_profile)
    each = images / profiles
    pages = profiles * math.ceil(each / per_page)
    return Projection(profiles, pages, images, pages / feed_rate, images / blob_rate)


def pick_accounts(count: int, cap: int) -> list[str]:
    """The bundled graph's first `count` active accounts (by id) with at least `cap` images on
    their own posts: every one reaches the cap."""
    graph = load_graph(paths.DEFAULT_GRAPH)
    model = PostModel(graph, "ego-twitter")
    ids = np.asarray(graph.ids)
    order = np.argsort(ids)
    # An account needs at least cap / 4 posts to reach the cap: skip the rest unopened.
    counts, statuses = model.counts(ids), model.statuses(ids)
    chosen: list[str] = []
    for index in order:
        if counts[index] * 4 < cap or statuses[index] != 0:
            continue
        posts = model.account(int(index))
        if int(posts.images[posts.kinds != REPOST].sum()) >= cap:
            chosen.append(f"u{int(ids[index])}.ego-twitter.test")
            if len(chosen) == count:
                break
    return chosen


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def capped_walk(graph_url: str, actor: str, cap: int) -> tuple[int, int]:
    """(feed pages, images) the collection's walk needs, read from the graph server's own feed
    as the chain reads it: posts_with_media, 100 a page, own posts, distinct CIDs, capped."""
    seen: set[str] = set()
    cursor, pages = None, 0
    while True:
        query: dict[str, Any] = {"actor": actor, "limit": POSTS_PER_PAGE}
        query |= {"filter": "posts_with_media"} | ({"cursor": cursor} if cursor else {})
        page = _get(f"{graph_url}/xrpc/{FEED}?{urlencode(query)}")
        pages += 1
        for item in page["feed"]:
            post = item["post"]
            if item.get("reason") or actor not in (post["author"]["did"], post["author"]["handle"]):
                continue
            for image in post["record"].get("embed", {}).get("images", []):
                if len(seen) < cap:
                    seen.add(image["image"]["ref"]["$link"])
        cursor = page.get("cursor")
        if len(seen) >= cap or not cursor:
            return pages, len(seen)


def journal_writes(bench: BenchStack) -> int:
    """The Firestore emulator's last write sequence number (its journal, one line a write)."""
    journal = firestore_snapshot(bench.home).with_suffix(".journal")
    last = 0
    if journal.exists():
        for line in journal.read_text().splitlines():
            if line.strip():
                last = max(last, int(json.loads(line)["s"]))
    return last


def _collection_writes(bench: BenchStack, collection: str) -> int:
    """Journaled writes that name this collection (a check on the sequence count)."""
    journal = firestore_snapshot(bench.home).with_suffix(".journal")
    if not journal.exists():
        return 0
    lines = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    return sum(collection.encode() in base64.b64decode(r["w"]) for r in lines)


def _rate(starts: list[float]) -> float:
    if len(starts) < 2 or starts[-1] == starts[0]:
        return 0.0
    return (len(starts) - 1) / (starts[-1] - starts[0])


def collect(label: str, accounts: list[str], sizes: Sizes, **stack_options: Any) -> Run:
    queues = {q.name: q for q in load_queues()}
    options: dict[str, Any] = {"media": True, **stack_options}
    if sizes.image_bytes is not None:
        options["image_bytes"] = sizes.image_bytes
    start = time.perf_counter()
    with running_stack(**options) as bench:
        up = time.perf_counter() - start
        for name in (FEED_QUEUE, BLOB_QUEUE):
            spec = queues[name]
            burst = spec.bucket_size or 10
            bench.set_queue(spec.rate, spec.max_concurrent_requests or burst, burst, name)
        graph_url = bench.env["KINDRED_GRAPH_URL"]
        walks = [capped_walk(graph_url, account, sizes.cap) for account in accounts]
        api = bench.api()
        writes_before = journal_writes(bench)
        before = bench.graph_stats()
        began = time.time()
        submitted = api.submit_collection(accounts, "local", {"max_per_account": sizes.cap})
        result = api.wait_collection(submitted["id"], lambda _: None, every=0.5, timeout=3600)
        seconds = time.time() - began
        after = bench.graph_stats()
        writes = journal_writes(bench) - writes_before
        named = _collection_writes(bench, submitted["id"])
        peak = bench.peak_rss_mb("function:tasks")
        blobs = sorted(d.started for d in bench.dispatches(submitted["id"], BLOB_QUEUE))
    calls = {
        "feed": after["by_method"].get(FEED, 0) - before["by_method"].get(FEED, 0),
        "getBlob": after["by_method"].get(BLOB, 0) - before["by_method"].get(BLOB, 0),
        "all": after["requests"] - before["requests"],
    }
    print(
        f"{label}: stack up {up:.0f} s, collection {seconds:.1f} s, "
        f"all {time.perf_counter() - start:.0f} s; {calls} calls, "
        f"{sum(n for _, n in walks)} images expected over {sum(p for p, _ in walks)} pages; "
        f"{writes} Firestore writes ({named} naming the collection)",
        file=sys.stderr,
    )
    return Run(
        label=label,
        accounts=accounts,
        cap=sizes.cap,
        result=result,
        seconds=seconds,
        pages=sum(p for p, _ in walks),
        expected_images=sum(n for _, n in walks),
        calls=calls,
        writes=writes,
        peak_rss_mb=peak,
        blob_rate=queues[BLOB_QUEUE].rate,
        blob_dispatch_rate=_rate(blobs),
        settings={
            "image_bytes": sizes.image_bytes or 200_000,
            "writes_naming_collection": named,
            **stack_options,
        },
    )


def run(quick: bool) -> list[Figure]:
    sizes = QUICK if quick else FULL
    accounts = pick_accounts(sizes.accounts, sizes.cap)
    clean = collect("fault-free", accounts, sizes)
    some = accounts[: sizes.fault_accounts]
    faulty = collect("faults 0.1, duplicates 0.1", some, sizes, **FAULTS)
    return figures(clean, faulty)


def figures(clean: Run, faulty: Run) -> list[Figure]:
    per_image = clean.bytes / clean.images if clean.images else 0.0
    out = [
        Figure(
            "collection: images/s at the configured rates",
            clean.images / clean.seconds,
            "images/s",
            clean.blob_rate,
            f"the blob queue's rate ({BLOB_QUEUE}, queue.yaml)",
            clean.params(),
            ">= 0.8 of the blob queue's rate",
            clean.images / clean.seconds >= 0.8 * clean.blob_rate,
        ),
        Figure(
            "collection: bytes/s at the configured rates",
            clean.bytes / clean.seconds,
            "B/s",
            clean.blob_rate * per_image,
            "the blob queue's rate x the mean image stored",
            {**clean.params(), "mean_image_bytes": round(per_image)},
        ),
    ]
    for run_, target in ((clean, 1.0), (faulty, 1.25)):
        ratio = run_.calls["all"] / run_.minimum if run_.minimum else math.inf
        out.append(
            Figure(
                f"collection: upstream calls / minimum, {run_.label}",
                run_.calls["all"],
                "calls",
                run_.minimum,
                "feed pages + one getBlob per stored image",
                {**run_.params(), "calls_per_image": round(run_.calls["all"] / run_.images, 3)},
                f"<= {target:g}x the minimum, every image stored",
                ratio <= target and run_.images == run_.expected_images,
            )
        )
    images = clean.images
    out.append(
        Figure(
            "collection: Firestore writes per collection",
            clean.writes,
            "writes",
            images,
            "a write per image (the scheme issue H forbids)",
            {**clean.params(), "design": f"{len(clean.accounts)} accounts + a few"},
            "<= accounts + 5",
            clean.writes <= len(clean.accounts) + 5,
        )
    )
    out.append(
        Figure(
            "collection: tasks function peak RSS",
            clean.peak_rss_mb,
            "MB",
            512,
            "the Cloud Function's memory",
            clean.params(),
            "<= 512 MB",
            clean.peak_rss_mb <= 512,
        )
    )
    at_limits = project()
    queue_rate = project(feed_rate=clean.blob_rate, blob_rate=clean.blob_rate)
    share = (clean.images / clean.seconds) / clean.blob_rate
    measured = project(feed_rate=clean.blob_rate, blob_rate=clean.blob_rate * share)
    out.append(
        Figure(
            "collection: the seed's job (279,262 images) projected",
            queue_rate.hours,
            "h",
            SEED_DAYS * 24,
            "the seed's 10 days (InstaLooter at ~20 calls/h)",
            {
                "profiles": queue_rate.profiles,
                "feed_pages": queue_rate.feed_pages,
                "getblob_calls": queue_rate.blob_calls,
                "images_per_post": round(images_per_post(), 3),
                "hours_at_queue_rate_9_per_s": round(queue_rate.hours, 2),
                "hours_at_published_limits_10_per_s": round(at_limits.hours, 2),
                "hours_at_measured_share_of_ceiling": round(measured.hours, 2),
                "feed_hours": round(queue_rate.feed_seconds / 3600, 3),
            },
            "well under the seed's 10 days",
            queue_rate.hours < SEED_DAYS * 24,
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    return module_main(run, __doc__ or "", argv)


if __name__ == "__main__":
    raise SystemExit(main())
