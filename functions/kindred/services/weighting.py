"""The weighted score's share of the crawl and the aggregate (core.weights): a follower's
follows wait in a `pending` tally until its weight is known, then go into the chain's tally
weighted; the aggregate picks the candidates' weighted sums out of the merged runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kindred.core import names, tally, weights
from kindred.core.messages import ReadFollows
from kindred.core.options import AnalysisOptions
from kindred.core.ranking import Popular
from kindred.services.deps import Deps

PENDING_BYTES = 24_000  # a pending tally past this waits in Cloud Storage (payload: 100 KB)


def carry(
    deps: Deps,
    message: ReadFollows,
    counts: tally.Tally,
    kept: Sequence[str],
    done: bool,
    follows: int,
) -> dict[str, Any]:
    """The follower's `kept` accounts of this page: credited with its weight into `counts`
    once its follows are `done` (`follows` of them read), else carried; returns the message
    fields that carry them (`pending`, `pending_parts`)."""
    pending = tally.decode_text(message.pending)
    pending.update(kept)
    parts = list(message.pending_parts)
    if done:
        for part in parts:
            pending.update(tally.decode(deps.blobs.read(part)))
        weights.credit(counts, pending, follows)
        return {"pending": "", "pending_parts": ()}
    encoded = tally.encode(pending)
    if len(encoded) > PENDING_BYTES:
        name = names.pending_blob(message.analysis, message.group, message.index, len(parts))
        deps.blobs.write(name, encoded)
        return {"pending": "", "pending_parts": (*parts, name)}
    return {"pending": tally.as_text(encoded), "pending_parts": tuple(parts)}


def summary(
    options: AnalysisOptions,
    popular: Sequence[Popular],
    merged: Callable[[], Iterator[tuple[str, int]]],
) -> dict[str, Any]:
    """The weighted sums of the candidates and their norm, for the aggregate's summary; none
    for the plain cosine. `merged` streams the merged runs again."""
    if options.score != "weighted":
        return {}
    sums, norm = weights.pick(merged(), (p.id for p in popular))
    return {"weighted": sums, "weight_norm": norm}
