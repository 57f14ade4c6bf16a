"""The mail step over the in-memory fakes: one message a job however often its end and its
task run, the per-client daily cap, and a failing send retried, then given up on, without
touching the job."""

from __future__ import annotations

import pytest
from support.collection import EMPTY
from support.fakes import World
from support.media_session import ServiceSession, graph_over, media_service
from support.walk import deliver_all

from kindred.config import Settings
from kindred.core import names
from kindred.core.errors import FailedForGood, InvalidInput, RetryLater, TooBusy
from kindred.core.media import CollectOptions
from kindred.core.messages import SendMail
from kindred.core.options import AnalysisOptions
from kindred.core.retry import GIVE_UP_AFTER
from kindred.services import collect, pipeline
from kindred.services.submit import submit
from kindred_infra import paths
from kindred_infra.graph_server.graph import load_graph

EDGES = [(n, 0) for n in range(1, 8)] + [(n, n % 3 + 8) for n in range(1, 8)]
CONFIGURED = Settings(smtp_host="mail.example.org", mail_daily_cap=2)


def world() -> World:
    return World(EDGES, CONFIGURED)


def analysed(w: World, client: str = "c1", email: str = "me@example.com") -> str:
    submitted = submit(w.deps(), "a0", "local", AnalysisOptions(), client, notify_email=email)
    deliver_all(w)
    return submitted.id


def mail_task(job: str) -> tuple[str, dict]:
    """The job's mail task as the queue delivers it (again)."""
    return "mail", SendMail(analysis=job, kind="analysis").to_dict()


def test_an_analysis_with_an_address_ends_with_one_message_sent_on_the_mail_queue():
    w = world()
    job = analysed(w)
    [message] = w.mailer.sent
    assert message["To"] == "me@example.com" and job in message["Message-ID"]
    assert f"/analyses/{job}/results" in message.get_body(("plain",)).get_content()
    record = w.store.docs[names.mail_doc(job)]
    assert (record["status"], record["client"], record["to"]) == ("sent", "c1", "me@example.com")
    assert record["cost"]["mails"] == 1  # the adapter's count, carried into the record
    assert "mail" in w.queue.queues  # SendMail ran on the mail queue, nowhere else
    assert w.store.docs[names.analysis_doc(job)]["status"] == "done"


def test_the_last_step_run_again_and_the_mail_task_delivered_again_send_nothing_more():
    w = world()
    job = analysed(w)
    # the rank step again, as a repeated delivery would run it
    pipeline.deliver(w.deps(), "rank", {"v": 1, "step": "rank", "analysis": job, "batches": 1})
    for attempt in (0, 0, 3):  # the same delivery twice, and a late retry
        deps = w.deps()
        deps.attempt = attempt
        pipeline.deliver(deps, *mail_task(job))
    deliver_all(w)
    assert len(w.mailer.sent) == 1 and w.store.docs[names.mail_doc(job)]["status"] == "sent"


def test_two_copies_of_one_delivery_running_at_once_send_once():
    w = world()
    job = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org").id
    deliver_all(w)
    w.mailer.sent.clear()
    w.store.docs[names.mail_doc(job)]["status"] = "sending"  # as a first copy left it, mid-send
    deps = w.deps()
    deps.attempt = 0  # the attempt the first copy claimed
    pipeline.deliver(deps, *mail_task(job))
    assert w.mailer.sent == []


def test_a_failing_send_is_retried_by_the_queue_then_given_up_on_and_the_job_stays_done():
    w = world()
    w.mailer.failures = [RetryLater("SMTP could not be reached")] * (GIVE_UP_AFTER + 1)
    job = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org").id
    with pytest.raises(RetryLater):
        deliver_all(w)  # the first delivery raises: the task handler answers 503
    for attempt in range(1, GIVE_UP_AFTER):
        deps = w.deps()
        deps.attempt = attempt
        with pytest.raises(RetryLater):
            pipeline.deliver(deps, *mail_task(job))
    deps = w.deps()
    deps.attempt = GIVE_UP_AFTER
    pipeline.deliver(deps, *mail_task(job))  # given up: recorded, answered 2xx
    record = w.store.docs[names.mail_doc(job)]
    assert (record["status"], record["reason"]) == ("failed", "upstream_error")
    assert w.mailer.sent == [] and w.store.docs[names.analysis_doc(job)]["status"] == "done"


def test_a_send_that_passes_on_a_retry_sends_once():
    w = world()
    w.mailer.failures = [RetryLater("4xx")]
    job = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org").id
    with pytest.raises(RetryLater):
        deliver_all(w)
    deps = w.deps()
    deps.attempt = 1
    pipeline.deliver(deps, *mail_task(job))
    assert len(w.mailer.sent) == 1 and w.store.docs[names.mail_doc(job)]["status"] == "sent"


def test_a_refused_recipient_is_recorded_at_once():
    w = world()
    w.mailer.failures = [FailedForGood("550 no such user", "recipient_refused")]
    job = analysed(w)
    record = w.store.docs[names.mail_doc(job)]
    assert (record["status"], record["reason"]) == ("failed", "recipient_refused")


def test_a_client_gets_at_most_its_daily_cap_and_is_told_at_submit_once_it_has():
    w = world()
    analysed(w, "c1", "one@example.com")
    analysed(w, "c2", "two@example.com")  # another client: its own count
    analysed(w, "c1", "three@example.com")
    assert len(w.mailer.sent) == 3
    with pytest.raises(TooBusy, match="2 e-mails today"):
        submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="four@example.com")
    w.clock.time += 86_400  # the next UTC day: room again
    analysed(w, "c1", "five@example.com")
    assert len(w.mailer.sent) == 4


def test_a_job_that_ends_when_its_client_has_had_its_messages_is_recorded_capped():
    w = world()
    job = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org").id
    for n in range(2):  # the client's two messages of the day, sent meanwhile
        w.store.docs[f"mail/other{n}"] = {"client": "c1", "day": "2027-01-15", "status": "sent"}
    deliver_all(w)
    assert w.mailer.sent == [] and w.store.docs[names.mail_doc(job)]["status"] == "capped"


def test_without_an_smtp_server_an_address_is_refused_at_submit():
    w = World(EDGES)
    with pytest.raises(InvalidInput, match="sends no e-mail") as refused:
        submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org")
    assert refused.value.field == "notify_email"


def test_the_same_request_with_the_same_address_is_reused_and_with_another_is_not():
    w = world()
    first = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org")
    again = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="me@x.org")
    other = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", notify_email="you@x.org")
    assert again.existing and again.id == first.id
    assert not other.existing and other.id != first.id


def test_a_collection_with_an_address_ends_with_one_message_linking_its_status():
    service = media_service(load_graph(paths.DEFAULT_GRAPH))
    w = World([], CONFIGURED, graph=graph_over(ServiceSession(service)))
    accounts = ["u626373.ego-twitter.test", EMPTY]
    job = collect.submit(w.deps(), accounts, "local", CollectOptions(3), "c1", "me@example.com")
    seen = deliver_all(w)
    assert SendMail in seen and w.store.docs[f"collections/{job}"]["status"] == "done"
    [message] = w.mailer.sent
    text = message.get_body(("plain",)).get_content()
    assert f"/collections/{job}" in text and "2 accounts (u626373.ego-twitter.test" in text
    assert "3 images" in text and message["Subject"].endswith("is done")


def test_the_webhook_and_the_e_mail_are_told_from_one_end_once_each():
    w, posted = world(), []
    made = w.deps

    def deps():
        d = made()
        d.resolve = lambda host: ["93.184.216.34"]  # a public address: no lookup in a test
        d.notify = lambda url, body: posted.append((url, body)) or True
        return d

    w.deps = deps
    job = submit(w.deps(), "a0", "local", AnalysisOptions(), "c1", "https://hooks.example.org/k",
                 "me@example.com").id  # fmt: skip
    deliver_all(w)
    pipeline.deliver(w.deps(), "rank", {"v": 1, "step": "rank", "analysis": job, "batches": 1})
    deliver_all(w)
    assert posted == [("https://hooks.example.org/k", {"id": job, "status": "done"})]
    assert len(w.mailer.sent) == 1
