"""The time left of a collection: two queues' work at their rates, from what its status knows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kindred.core.collection_progress import CHECK_SECONDS, PRIOR_IMAGES, Live, Seen, estimate

FEED, BLOB = 20.0, 9.0
START = Seen(
    status="running", accounts_total=10, accounts_ended=0, max_per_account=1000, elapsed=0.0,
    feed_rate=FEED, blob_rate=BLOB, pages_ended=0, calls_ended=0,
)  # fmt: skip


def test_nothing_done_yet_is_the_prior_at_the_slower_queue():
    left = estimate(START)
    # 10 accounts x 50 images at 9/s is the long pole; the feed pages take under a second
    assert left.seconds_left == pytest.approx(10 * PRIOR_IMAGES / BLOB + CHECK_SECONDS, abs=0.1)
    assert left.share == 0.0 and left.images_pending is None and left.accounts_reading == 10


def test_the_prior_is_never_above_the_cap():
    capped = estimate(replace(START, max_per_account=5))
    assert capped.seconds_left == pytest.approx(10 * 5 / BLOB + CHECK_SECONDS, abs=0.1)


def test_half_done_uses_what_the_ended_accounts_measured():
    # 5 accounts ended with 2 pages and 100 images each, in the 60 s it took
    half = replace(START, accounts_ended=5, pages_ended=10, calls_ended=510, elapsed=60.0)
    left = estimate(half)
    blobs_each = (500 + PRIOR_IMAGES * 3) / (5 + 3)  # the measure, shrunk towards the prior
    in_flight = 60 * BLOB - 500  # what the blob queue did past the ended accounts' calls
    want = (5 * blobs_each - in_flight) / BLOB + CHECK_SECONDS
    assert left.seconds_left == pytest.approx(want, abs=0.1)
    assert 0.4 < left.share < 0.6
    later = estimate(replace(half, accounts_ended=9, pages_ended=18, calls_ended=918))
    assert later.seconds_left < left.seconds_left  # the more ended, the less left


def test_all_images_pending_on_the_blob_queue_is_their_fetch_time():
    live = Live(accounts_reading=0, images_pending=450)
    left = estimate(replace(START, elapsed=10.0, live=live))
    assert left.seconds_left == pytest.approx(450 / BLOB + CHECK_SECONDS)
    assert left.images_pending == 450 and left.accounts_reading == 0
    slower = estimate(replace(START, elapsed=10.0, live=live, blob_rate=BLOB / 3))
    assert slower.seconds_left == pytest.approx(3 * 450 / BLOB + CHECK_SECONDS)


def test_feeds_read_longer_than_the_model_leave_a_page_each():
    # far past the time the model gives the feeds: each reading account still needs a page
    late = replace(START, elapsed=3600.0, live=Live(accounts_reading=4, images_pending=0))
    left = estimate(late)
    blobs_each = PRIOR_IMAGES
    assert left.seconds_left == pytest.approx(4 * blobs_each / BLOB + CHECK_SECONDS, abs=0.1)
    assert estimate(replace(late, blob_rate=1000.0)).seconds_left == pytest.approx(
        4 / FEED + CHECK_SECONDS, abs=0.1
    )


def test_failed_accounts_count_as_ended_and_lower_the_images_expected():
    # 5 ended, all failed on their first feed page: a page each, no getBlob call
    failed = replace(START, accounts_ended=5, pages_ended=5, calls_ended=5, elapsed=5.0)
    healthy = replace(failed, calls_ended=5 + 5 * 100)
    assert estimate(failed).seconds_left < estimate(healthy).seconds_left
    assert estimate(failed).accounts_reading == 5


def test_a_collection_past_the_model_still_has_time_left():
    overrun = replace(START, elapsed=10_000.0)
    left = estimate(overrun)
    assert left.seconds_left is not None and left.seconds_left > CHECK_SECONDS
    assert left.share < 1.0


def test_done_is_nothing_left_and_failed_or_no_rate_is_unknown():
    assert estimate(replace(START, status="done", accounts_ended=10)).seconds_left == 0.0
    assert estimate(replace(START, accounts_ended=10)).share == 1.0
    assert estimate(replace(START, status="failed")).seconds_left is None
    assert estimate(replace(START, blob_rate=0.0)).seconds_left is None
