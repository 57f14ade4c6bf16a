"""The e-mail's pure parts: the address check, what the message says (text and HTML alike),
the day a message counts against, and the cap."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindred.core import mail
from kindred.core.errors import InvalidInput
from kindred.web import api

LINK = "http://127.0.0.1:8650/analyses/T13DUSXOsQ8qtSNK1UTztA/results"
REPORT = {
    "id": "T13DUSXOsQ8qtSNK1UTztA",
    "status": "done",
    "account": {"handle": "u6017542.ego-twitter.test", "display_name": "Omar <Kim>"},
    "progress": {"followers_analyzed": 248, "followers_in_scope": 496, "upstream_calls": 700},
    "coverage": 0.5,
    "cost": {"upstream_calls": 724, "tasks": 725, "firestore_writes": 11,
             "firestore_reads": 63, "storage_writes": 25, "mails": 0},
}  # fmt: skip


def parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def test_a_message_has_a_text_and_an_html_part_each_with_the_link_target_coverage_and_cost():
    notice = mail.analysis_notice(REPORT, LINK)
    message = mail.compose(notice, "kindred <k@example.org>", "me@example.com", "<a.b@c>", 0.0)
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "me@example.com" and message["Message-ID"] == "<a.b@c>"
    assert message["Subject"] == (
        "kindred: your analysis of u6017542.ego-twitter.test (Omar <Kim>) is done"
    )
    text, page = parts(message)["text/plain"], parts(message)["text/html"]
    for body in (text, page):
        assert LINK in body and "u6017542.ego-twitter.test" in body
        assert "50% of the followers in scope analysed (248 of 496)" in body
        assert "724" in body and "725" in body and "11 writes, 63 reads" in body
    assert f'<a href="{LINK}">' in page and "Omar &lt;Kim&gt;" in page  # escaped in HTML
    assert "Omar <Kim>" in text


def test_a_failed_analysis_says_what_failed_and_what_it_is_estimated_to_have_cost():
    failed = {**REPORT, "status": "failed", "error": {"reason": "private", "message": "gone"}}
    del failed["coverage"], failed["cost"]
    notice = mail.analysis_notice(failed, LINK)
    assert notice.subject.endswith("failed") and notice.error == "gone"
    text = parts(mail.compose(notice, "k@example.org", "me@example.com", "<x@y>", 0.0))
    assert "what failed: gone" in " ".join(text["text/plain"].split())
    assert "about 700 (estimated)" in text["text/html"]
    assert "50%" in text["text/plain"]  # analysed of in scope, from the progress


def test_a_collection_notice_names_the_accounts_and_what_was_stored():
    status = {"id": "C0ll3ct10n", "status": "done", "progress": {
        "accounts_total": 5, "accounts_done": 4, "accounts_failed": 1, "images_stored": 86,
        "bytes_stored": 16_500_000, "upstream_calls": 40}}  # fmt: skip
    notice = mail.collection_notice(status, ["a.test", "b.test", "c.test", "d.test"], "L")
    assert notice.target == "5 accounts (a.test, b.test, c.test and 2 more)"
    assert notice.coverage == "4 of 5 accounts done, 1 failed; 86 images, 16.5 MB stored"
    assert notice.cost == (("upstream calls", "40"),)
    assert (
        notice.subject == "kindred: your collection of 5 accounts (a.test, b.test, c.test "
        "and 2 more) is done"
    )


def test_the_message_id_is_the_jobs_at_the_senders_domain():
    assert mail.message_id("analysis", "J0b", "kindred <k@mail.example.org>") == (
        "<analysis.J0b@mail.example.org>"
    )
    assert mail.message_id("collection", "J0b", "nobody") == "<collection.J0b@kindred>"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("me@example.com", "me@example.com"), ("Me@Example.COM", "Me@example.com"),
     ("o'brien+kindred@mail.example.org", "o'brien+kindred@mail.example.org")],
)  # fmt: skip
def test_an_address_is_accepted_in_its_normal_form(raw, normal):
    assert mail.parse_address(raw) == normal


@pytest.mark.parametrize(
    "raw",
    ["me", "me@", "@example.com", "me@example", "a..b@example.com", ".a@example.com",
     "me@host.test", "me@printer.LOCAL", "me@localhost", "me@x.onion", "me@-a.com",
     "müller@example.com", "me@exämple.com", "Me <me@example.com>", '"a b"@example.com',
     "me@[127.0.0.1]", "me@example.com\nBcc: x@example.com", "a" * 65 + "@example.com",
     "me@" + "a" * 250 + ".com", 42, None, ["me@example.com"]],
)  # fmt: skip
def test_a_bad_address_is_refused_naming_the_field(raw):
    with pytest.raises(InvalidInput) as refused:
        mail.parse_address(raw, "notify_email")
    assert refused.value.field == "notify_email"
    assert "notify_email" in str(refused.value)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(mail.ADDRESS, fullmatch=True).filter(lambda s: len(s) <= mail.MAX_LENGTH))
def test_every_address_of_the_documented_form_is_one_the_library_accepts(raw):
    assert mail.parse_address(raw)


def test_the_openapi_document_gives_the_codes_form_wherever_it_takes_notify_email():
    schemas = json.loads(api.OPENAPI.read_text())["components"]["schemas"]
    for name in ("Submission", "CollectionByAccounts", "CollectionFromAnalysis"):
        field = schemas[name]["properties"]["notify_email"]
        assert (field["pattern"], field["maxLength"]) == (mail.ADDRESS, mail.MAX_LENGTH), name


def test_the_day_is_utcs_and_the_cap_lets_through_fewer_than_it():
    assert mail.day_of(1_800_000_000.0) == "2027-01-15"
    assert mail.day_of(1_800_057_599.0) == "2027-01-15"  # 23:59:59 UTC
    assert mail.day_of(1_800_057_600.0) == "2027-01-16"
    assert [mail.within_cap(sent, 3) for sent in range(5)] == [True, True, True, False, False]
    assert not mail.within_cap(0, 0)  # a cap of 0: no e-mail at all
