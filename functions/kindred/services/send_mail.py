"""The mail step: a job's one message, sent once however often its task is delivered.

`mail/{job}` records it: made by the first delivery (to whom, the client, the day), then
`sent`, `capped` (the client had its messages for the day) or `failed` (given up by the one
retry rule, with the reason). A delivery that finds it no longer `sending` does nothing; of
the copies of one delivery (the same attempt), only the one whose `create()` of the
attempt's marker wins sends. A send that fails for a passing reason raises, so the queue
retries it with its backoff; the job itself is never touched (docs/decisions/0012-email.md).
"""

from __future__ import annotations

from typing import Any

from kindred.core import collection_names, mail, names, retry
from kindred.core.errors import KindredError
from kindred.core.messages import SendMail
from kindred.services import collect, reports
from kindred.services.deps import Deps
from kindred.services.notices import sent_today

JOB_DOCS = {"analysis": names.analysis_doc, "collection": collection_names.collection_doc}


def mail_step(deps: Deps, message: SendMail) -> None:
    job = message.analysis
    record = _record(deps, message)
    if record is None or record["status"] != "sending":
        return  # no address, or sent, capped or given up already: a repeat
    if not deps.store.create(names.mail_attempt_doc(job, deps.attempt), {"at": deps.clock.now()}):
        return  # a copy of this very delivery is sending it
    today = sent_today(deps, record["client"], record["day"])
    if not mail.within_cap(today, deps.settings.mail_daily_cap):
        _close(deps, message, "capped", "daily_cap", f"{today} sent on {record['day']}")
        return
    if deps.mailer is None:
        _close(deps, message, "failed", "not_configured", "no SMTP server is configured")
        return
    sender, now = deps.settings.mail_from, deps.clock.now()
    email = mail.compose(
        _notice(deps, message), sender, record["to"], mail.message_id(message.kind, job, sender),
        now,
    )  # fmt: skip
    try:
        deps.mailer.send(email)
    except KindredError as error:
        decision = retry.decide(error, deps.attempt)
        if decision.action is not retry.Action.GIVE_UP:
            raise
        _close(deps, message, "failed", decision.reason, str(error))
        return
    _close(deps, message, "sent")


def _record(deps: Deps, message: SendMail) -> dict[str, Any] | None:
    """The job's mail record; the first delivery makes it from the job's document."""
    record = deps.store.get(names.mail_doc(message.analysis))
    if record is not None:
        return record
    doc_of = JOB_DOCS.get(message.kind)
    job = deps.store.get(doc_of(message.analysis)) if doc_of else None
    if job is None or not job.get("notify_email"):
        return None
    now = deps.clock.now()
    record = {
        "job": message.analysis, "kind": message.kind, "to": job["notify_email"],
        "client": job.get("client", ""), "day": mail.day_of(now), "status": "sending",
        "created_at": now,
    }  # fmt: skip
    deps.store.create(names.mail_doc(message.analysis), record)  # a copy may have made it: alike
    return record


def _notice(deps: Deps, message: SendMail) -> mail.Notice:
    base, job = deps.settings.api_url.rstrip("/"), message.analysis
    if message.kind == "analysis":
        return mail.analysis_notice(reports.result(deps, job), f"{base}/analyses/{job}/results")
    doc = deps.store.get(collection_names.collection_doc(job)) or {}
    return mail.collection_notice(
        collect.status(deps, job), doc.get("accounts_sample", []), f"{base}/collections/{job}"
    )


def _close(deps: Deps, message: SendMail, status: str, reason: str = "", error: str = "") -> None:
    ended = {"status": status, "finished_at": deps.clock.now(), "cost": message.cost}
    if reason:
        ended |= {"reason": reason, "error": error[:300]}
    deps.store.update(names.mail_doc(message.analysis), ended)
