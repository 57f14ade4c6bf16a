"""The collection benchmark's pure pieces: the minimum, the image mix, the projection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import collection
from bench.collection import minimum_calls, project
from kindred_infra.graph_server import posts


def test_the_minimum_is_every_feed_page_and_one_getblob_per_stored_image():
    assert minimum_calls(pages=3, images=90) == 93
    assert minimum_calls(pages=1, images=0) == 1  # an account with no media still reads a page


def test_the_image_mix_is_the_local_generators():
    keys = posts.mix(np.arange(200_000, dtype=np.uint64))
    counts = posts._image_counts(keys)
    with_media = counts[counts > 0]
    assert collection.images_per_post() == pytest.approx(476 / 256)
    assert with_media.mean() == pytest.approx(collection.images_per_post(), rel=0.01)
    for n, weight in collection.IMAGE_MIX.items():
        assert (with_media == n).mean() == pytest.approx(weight / 256, abs=0.01)


def test_the_seeds_job_at_the_published_limits():
    p = project()
    assert p.profiles == 280  # ceil(279,262 / 1,000)
    # ~997 images a profile at 185.9 a page: 6 pages each
    assert p.feed_pages == 280 * 6
    assert p.blob_calls == 279_262
    assert p.feed_seconds == pytest.approx(1680 / 10)
    assert p.blob_seconds == pytest.approx(27_926.2)
    assert p.seconds == p.blob_seconds  # the blob budget bounds the job
    assert p.hours == pytest.approx(7.757, abs=0.001)


def test_the_projection_at_the_queues_rate_and_other_assumptions():
    at_queue = project(feed_rate=9, blob_rate=9)
    assert at_queue.hours == pytest.approx(279_262 / 9 / 3600)
    assert at_queue.hours / (collection.SEED_DAYS * 24) < 0.04
    one_image_a_post = project(per_post=1.0)
    assert one_image_a_post.feed_pages == 280 * math.ceil(279_262 / 280 / 100)
    small_profiles = project(per_profile=100)
    assert small_profiles.profiles == 2793 and small_profiles.feed_pages == 2793
    slow_feed = project(feed_rate=0.01)  # a feed budget slower than the blobs' bounds the job
    assert slow_feed.seconds == slow_feed.feed_seconds


def test_the_stack_passes_the_image_size_to_the_graph_server(tmp_path):
    from kindred_infra.stack.plan import StackOptions, plan

    def graph_argv(**options: object) -> tuple[str, ...]:
        parts = plan(StackOptions(home=tmp_path, **options))  # type: ignore[arg-type]
        return next(p.argv for p in parts if p.name == "graph")

    assert "--image-bytes" not in graph_argv(media=True)
    argv = graph_argv(media=True, image_bytes=20_000)
    assert argv[argv.index("--image-bytes") + 1] == "20000"


def test_the_serving_figures_hold_the_feed_page_to_50_ms_and_the_blob_to_half_the_interval():
    from bench import media_serving

    measured = {
        "actors": ["u1.ego-twitter.test"],
        "feed_ms": [10.0] * 19 + [60.0],  # p95 lands between the two
        "follower_ms": [2.0] * 20,
        "images_listed": 3_700,
        "blob_ms": [4.0] * 20,
        "mean_blob_bytes": 20_000.0,
        "rss_media_mb": 80.0,
        "rss_plain_mb": 54.0,
    }
    feed, blob, memory = media_serving.figures(measured)
    assert feed.value == pytest.approx(12.5) and feed.met is True
    assert feed.params["images_per_feed_page"] == 185.0
    assert blob.met is True and blob.baseline == pytest.approx(1000 / 9)
    assert memory.ratio == pytest.approx(80 / 54)
    slow = media_serving.figures({**measured, "feed_ms": [10.0] * 10 + [70.0] * 10})[0]
    assert slow.met is False


def test_the_heaviest_accounts_are_active_and_have_the_most_posts():
    from bench import media_serving
    from kindred_infra import paths
    from kindred_infra.graph_server.graph import load_graph

    heavy = media_serving.heaviest(3)
    graph = load_graph(paths.DEFAULT_GRAPH)
    model = posts.PostModel(graph, "ego-twitter")
    ids = np.asarray(graph.ids)
    counts, statuses = model.counts(ids), model.statuses(ids)
    chosen = np.isin(ids, [int(h[1:].split(".")[0]) for h in heavy])
    assert chosen.sum() == 3 and (statuses[chosen] == 0).all()
    assert counts[chosen].min() >= counts[~chosen & (statuses == 0)].max() > 1_000
