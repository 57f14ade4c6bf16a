"""An analysis that cannot go on ends `failed` at once, with a reason a user can act on."""

from __future__ import annotations

from kindred.core import names
from kindred.services import notices
from kindred.services.deps import Deps


def fail(deps: Deps, analysis: str, reason: str, message: str) -> None:
    """Record the failure (reason: a stable word; message: what failed and what to do)."""
    now = deps.clock.now()
    doc = deps.store.get(names.analysis_doc(analysis))
    if doc is None or doc["status"] in ("done", "failed"):
        return
    deps.store.update(
        names.analysis_doc(analysis),
        {
            "status": "failed",
            "error": {"reason": reason, "message": message},
            "finished_at": now,
            "updated_at": now,
        },
    )
    notices.ended(deps, "analysis", analysis, doc, "failed")
