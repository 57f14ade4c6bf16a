"""Telling someone a job has ended, from one place: its webhook and its e-mail.

    rank, fail (an analysis), maybe_finish (a collection) ──> ended ──> the callback_url POST
                                                                  └──> SendMail (mail queue)

The webhook is POSTed at once, as a lost notice is no failure (`adapters.webhook`). The
e-mail is a task of its own (`services.send_mail`), under the job's one name, so a retried
send never holds up or fails the job, and an end told twice still queues one message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kindred.core import mail, names
from kindred.core.errors import InvalidInput, TooBusy
from kindred.core.messages import SendMail
from kindred.services.deps import Deps
from kindred.services.handoff import send


def requested_address(body: Mapping[str, Any]) -> str | None:
    """The submission's `notify_email` in its normal form, or None when it has none (null
    is no address: a 400, as the document says); raises InvalidInput."""
    return mail.parse_address(body[mail.FIELD]) if mail.FIELD in body else None


def check_room(deps: Deps, client: str) -> None:
    """At submit, for a job that asks for e-mail: raises InvalidInput when this deployment
    sends none, TooBusy when the client has had its messages for today."""
    if not deps.settings.smtp_host:
        raise InvalidInput(
            "this deployment sends no e-mail (KINDRED_SMTP_HOST is not set): leave "
            f"{mail.FIELD} out, or give a callback_url",
            mail.FIELD,
        )
    cap = deps.settings.mail_daily_cap
    if not mail.within_cap(sent_today(deps, client, mail.day_of(deps.clock.now())), cap):
        raise TooBusy(f"you have been sent {cap} e-mails today (UTC): leave {mail.FIELD} out")


def sent_today(deps: Deps, client: str, day: str) -> int:
    """Messages sent to the client's addresses on `day` (equality filters only: Firestore's
    single-field indexes serve the count)."""
    where = [("client", "==", client), ("day", "==", day), ("status", "==", "sent")]
    return deps.store.count(names.MAIL, where)


def ended(deps: Deps, kind: str, job: str, doc: Mapping[str, Any], status: str) -> None:
    """The job `doc` has just been recorded `status` ("done" or "failed"): tell whoever asked."""
    if doc.get("callback_url"):
        deps.notify(doc["callback_url"], {"id": job, "status": status})
    if doc.get("notify_email"):
        send(deps, names.mail_task(job), SendMail(analysis=job, kind=kind), carry=False)
