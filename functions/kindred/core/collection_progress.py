"""How long the rest of a collection will take, from what its status knows.

A collection spends two upstream budgets at once: feed pages on the provider's queue and
getBlob calls on the blob host's queue, each at its queue's rate. So the time left is the
longer of the two queues' work left, plus the last account check's wait. What is known
exactly is the work of the ended accounts (their records sum pages and calls); for the rest:

- accounts still reading their feed: pages and getBlob calls each, as the ended accounts
  measured them, shrunk towards a prior while few have ended (a heavy-tailed count: many
  accounts have no image, a few are over the cap);
- the feed pages they have read already: the feed queue's rate times the time elapsed, less
  what the ended accounts account for (never the whole: each needs one page more);
- when the status could look (a small collection), the images handed on and not yet
  fetched, exactly: their getBlob calls are the blob queue's work left.

As for analyses (core.progress), a queue that ran past the model is assumed to need a tenth
more (OVERRUN_MARGIN).
"""

from __future__ import annotations

from dataclasses import dataclass

from kindred.core.progress import OVERRUN_MARGIN

PRIOR_PAGES = 1.5  # feed pages per account before any has ended (100 posts a page)
PRIOR_IMAGES = 50.0  # getBlob calls per account before any has ended, at most the cap
PRIOR_WEIGHT = 3.0  # the prior counts as this many ended accounts
CHECK_SECONDS = 2.0  # the account check's first wait (services.collect._check_wait)


@dataclass(frozen=True)
class Live:
    """What Storage says of the accounts whose feed is read: counted when cheap to."""

    accounts_reading: int  # accounts still reading their feed
    images_pending: int  # handed on to the blob queue, without an outcome yet


@dataclass(frozen=True)
class Seen:
    """What the job store says of one collection, read once per status request."""

    status: str
    accounts_total: int
    accounts_ended: int  # done or failed: recorded
    max_per_account: int
    elapsed: float  # seconds since it was submitted
    feed_rate: float  # feed pages per second this collection gets
    blob_rate: float  # getBlob calls per second this collection gets
    pages_ended: int  # feed pages of the ended accounts
    calls_ended: int  # upstream calls of the ended accounts (pages and getBlob calls)
    live: Live | None = None


@dataclass(frozen=True)
class Estimate:
    seconds_left: float | None  # None: not known (failed, or a queue with no rate)
    share: float  # of the time: elapsed / (elapsed + left)
    accounts_reading: int
    images_pending: int | None  # None: not counted (a big collection)


def estimate(seen: Seen) -> Estimate:
    live = seen.live
    rest = seen.accounts_total - seen.accounts_ended
    reading = rest if live is None else min(live.accounts_reading, rest)
    pending = None if live is None else live.images_pending
    if seen.status == "done" or rest <= 0:
        return Estimate(0.0, 1.0, 0, 0 if live else pending)
    if seen.status == "failed" or seen.feed_rate <= 0 or seen.blob_rate <= 0:
        return Estimate(None, 0.0, reading, pending)
    pages = _per_account(seen.pages_ended, seen.accounts_ended, PRIOR_PAGES)
    prior_blobs = min(PRIOR_IMAGES, float(seen.max_per_account))
    blobs = _per_account(seen.calls_ended - seen.pages_ended, seen.accounts_ended, prior_blobs)
    # Feed pages the reading accounts have read: the rate's share past the ended accounts'.
    read = max(0.0, seen.elapsed * seen.feed_rate - seen.pages_ended)
    feed_left = reading * pages - min(read, reading * (pages - 1))
    if live is None:  # the blob queue's work, by the same model as the feed's
        fetched = max(0.0, seen.elapsed * seen.blob_rate - (seen.calls_ended - seen.pages_ended))
        expected = rest * blobs
        blob_left = expected - fetched if fetched < expected else expected * OVERRUN_MARGIN
    else:
        blob_left = live.images_pending + reading * blobs
    left = max(feed_left / seen.feed_rate, blob_left / seen.blob_rate) + CHECK_SECONDS
    elapsed = max(seen.elapsed, 0.0)
    share = min(elapsed / (elapsed + left), 0.999)
    return Estimate(round(left, 1), round(share, 4), reading, pending)


def _per_account(total: float, accounts: int, prior: float) -> float:
    """The ended accounts' mean, shrunk towards `prior` while they are few."""
    return (total + prior * PRIOR_WEIGHT) / (accounts + PRIOR_WEIGHT)
