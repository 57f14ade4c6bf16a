"""Figure 13: what the local graph server's posts and images (`--media`, decision 0006) cost it to
serve, on two graph servers of the bundled graph started side by side for this figure, one with
`--media` and one without (the baseline), rate limits off:

- feed page time: `getAuthorFeed` pages of 100 `posts_with_media` walked with their cursors for
  the accounts with the most posts (the heavy tail: thousands each, a page lists up to 400
  images), over HTTP, against `getFollowers` pages of 100 of the same accounts on the server
  without media (the cheapest page it serves); the target is issue H's "well under 50 ms";
- getBlob time: encoding an image on request (the server keeps no bytes), at the images' size,
  against the blob queue's interval (1 / 9 s): the host must answer well within it;
- the server's resident memory (VmRSS) after those walks, against the server without `--media`
  after its own (both peak at the same ~240 MB while loading the graph, before any page).

Run alone: `python -m bench.media_serving [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np

from bench.collection import BLOB, BLOB_QUEUE, FEED, POSTS_PER_PAGE
from bench.figures import Figure
from bench.report import table
from kindred_infra import paths, process
from kindred_infra.deploy import load_queues
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.graph_server.posts import PostModel

FOLLOWERS = "app.bsky.graph.getFollowers"
QUICK = {"accounts": 3, "pages": 10, "blobs": 20, "image_bytes": 20_000}
FULL = {"accounts": 5, "pages": 40, "blobs": 60, "image_bytes": 200_000}


def heaviest(count: int) -> list[str]:
    """The bundled graph's `count` active accounts with the most posts."""
    graph = load_graph(paths.DEFAULT_GRAPH)
    model = PostModel(graph, "ego-twitter")
    ids = np.asarray(graph.ids)
    counts = np.where(model.statuses(ids) == 0, model.counts(ids), -1)
    return [f"u{int(ids[i])}.ego-twitter.test" for i in np.argsort(-counts)[:count]]


def _server(name: str, home: Path, *flags: str) -> process.Service:
    port = process.free_port()
    argv = [sys.executable, "-m", "kindred_infra.graph_server", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--graph", str(paths.DEFAULT_GRAPH), "--rate-limit", "0"]
    url = f"http://127.0.0.1:{port}"
    service = process.Service(
        name, argv + list(flags), home / f"{name}.log", lambda: process.http_ok(f"{url}/_health")
    )
    service.env["KINDRED_BENCH_URL"] = url  # read back below; the process ignores it
    return service


def _url(service: process.Service) -> str:
    return service.env["KINDRED_BENCH_URL"]


def _timed_get(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1e3, body


def walk(
    base: str, method: str, actor: str, pages: int, **query: Any
) -> Iterator[tuple[float, dict]]:
    """(milliseconds, page) for up to `pages` pages of `method`, following the cursor."""
    cursor = None
    for _ in range(pages):
        params = {"actor": actor, "limit": POSTS_PER_PAGE, **query}
        params |= {"cursor": cursor} if cursor else {}
        ms, body = _timed_get(f"{base}/xrpc/{method}?{urlencode(params)}")
        page = json.loads(body)
        yield ms, page
        cursor = page.get("cursor")
        if not cursor:
            return


def _rss_mb(pid: int | None) -> float:
    """Resident now, not the peak: both servers peak while loading the graph, before any page."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def measure(quick: bool) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    actors = heaviest(sizes["accounts"])
    with tempfile.TemporaryDirectory(prefix="kindred-bench-serving-") as tmp:
        media = _server(
            "graph-media", Path(tmp), "--media", "--image-bytes", str(sizes["image_bytes"])
        )
        plain = _server("graph-plain", Path(tmp))
        with process.running(media, plain):
            feed_ms, follower_ms, images, blobs = [], [], 0, []
            for actor in actors:
                for ms, page in walk(
                    _url(media), FEED, actor, sizes["pages"], filter="posts_with_media"
                ):
                    feed_ms.append(ms)
                    for item in page["feed"]:
                        for image in item["post"]["record"].get("embed", {}).get("images", []):
                            images += 1
                            if len(blobs) < sizes["blobs"]:
                                blobs.append(
                                    (item["post"]["author"]["did"], image["image"]["ref"]["$link"])
                                )
                follower_ms += [ms for ms, _ in walk(_url(plain), FOLLOWERS, actor, sizes["pages"])]
            blob_ms, blob_bytes = [], 0
            for did, cid in blobs:
                ms, body = _timed_get(
                    f"{_url(media)}/xrpc/{BLOB}?{urlencode({'did': did, 'cid': cid})}"
                )
                blob_ms.append(ms)
                blob_bytes += len(body)
            return {
                "actors": actors,
                "feed_ms": feed_ms,
                "follower_ms": follower_ms,
                "images_listed": images,
                "blob_ms": blob_ms,
                "mean_blob_bytes": blob_bytes / max(len(blob_ms), 1),
                "rss_media_mb": _rss_mb(media.pid),
                "rss_plain_mb": _rss_mb(plain.pid),
            }


def figures(m: dict[str, Any]) -> list[Figure]:
    params = {
        "accounts": m["actors"],
        "feed_pages": len(m["feed_ms"]),
        "images_per_feed_page": round(m["images_listed"] / max(len(m["feed_ms"]), 1), 1),
        "feed_ms_median": round(statistics.median(m["feed_ms"]), 2),
        "follower_pages": len(m["follower_ms"]),
    }
    blob_interval = 1000 / next(q.rate for q in load_queues() if q.name == BLOB_QUEUE)
    return [
        Figure(
            "graph server: feed page of 100 posts with media, p95",
            _p95(m["feed_ms"]),
            "ms",
            _p95(m["follower_ms"]),
            "a getFollowers page of 100 without --media, p95",
            params,
            "< 50 ms",
            _p95(m["feed_ms"]) < 50,
        ),
        Figure(
            "graph server: getBlob (image encoded on request), p95",
            _p95(m["blob_ms"]),
            "ms",
            blob_interval,
            f"the blob queue's interval (1 / {BLOB_QUEUE}'s rate)",
            {
                "blobs": len(m["blob_ms"]),
                "mean_bytes": round(m["mean_blob_bytes"]),
                "median_ms": round(statistics.median(m["blob_ms"]), 2),
            },
            "< half the interval",
            _p95(m["blob_ms"]) < blob_interval / 2,
        ),
        Figure(
            "graph server: resident memory with --media, after the walks",
            m["rss_media_mb"],
            "MB",
            m["rss_plain_mb"],
            "the same server without --media, same walks",
            {"after_feed_pages": len(m["feed_ms"]), "after_blobs": len(m["blob_ms"])},
        ),
    ]


def run(quick: bool) -> list[Figure]:
    return figures(measure(quick))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(table(run(parser.parse_args().quick)))


if __name__ == "__main__":
    main()
