"""notify_email at the HTTP edge: a bad address is a 400 naming the field, for an analysis and
both kinds of collection, before anything is written; a good one is kept in its normal form."""

from __future__ import annotations

import pytest
from support.fakes import World

from kindred.config import Settings
from kindred.core import collection_names, names
from kindred.web import api

BAD = ["me", "me@host.test", "a..b@example.com", "Me <me@example.com>", "me@exämple.com", 7]
ANALYSIS = {"account": "a1"}
BY_ACCOUNTS = {"accounts": ["u626373.ego-twitter.test"]}


@pytest.fixture
def world(monkeypatch) -> World:
    world = World([(1, 2), (3, 1)], Settings(smtp_host="mail.example.org"))
    monkeypatch.setattr(api.bootstrap, "deps", world.deps)
    return world


@pytest.mark.parametrize("address", BAD)
@pytest.mark.parametrize("route", ["/analyses", "/collections"])
def test_a_bad_address_is_a_400_naming_notify_email_and_nothing_is_written(
    api_client, world, route, address
):
    body = ANALYSIS if route == "/analyses" else BY_ACCOUNTS
    answer = api_client.post(route, json={**body, "notify_email": address})
    assert answer.status_code == 400, answer.get_json()
    error = answer.get_json()
    assert error["field"] == "notify_email" and "notify_email" in error["message"]
    assert world.store.docs == {} and not world.queue.pending


def test_from_an_analysis_a_bad_address_is_a_400_too(api_client, world):
    body = {"from_analysis": "NoSuchAnalysis1", "notify_email": "me@localhost"}
    answer = api_client.post("/collections", json=body)
    assert answer.status_code == 400 and answer.get_json()["field"] == "notify_email"


def test_a_good_address_is_kept_in_its_normal_form_with_the_client(api_client, world):
    answer = api_client.post("/analyses", json={**ANALYSIS, "notify_email": "Me@Example.COM"})
    assert answer.status_code == 202, answer.get_json()
    analysis = world.store.docs[names.analysis_doc(answer.get_json()["id"])]
    assert analysis["notify_email"] == "Me@example.com" and len(analysis["client"]) == 16
    answer = api_client.post("/collections", json={**BY_ACCOUNTS, "notify_email": "me@x.org"})
    assert answer.status_code == 202, answer.get_json()
    collection = world.store.docs[collection_names.collection_doc(answer.get_json()["id"])]
    assert collection["notify_email"] == "me@x.org"
    assert collection["client"] == analysis["client"]  # the caller's key, either way


def test_a_deployment_without_smtp_refuses_an_address_naming_the_field(api_client, world):
    world.settings = Settings()
    answer = api_client.post("/analyses", json={**ANALYSIS, "notify_email": "me@example.com"})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "notify_email"
    assert "sends no e-mail" in answer.get_json()["message"]


def test_a_client_past_its_daily_cap_gets_a_429(api_client, world):
    world.settings = Settings(smtp_host="mail.example.org", mail_daily_cap=0)
    answer = api_client.post("/analyses", json={**ANALYSIS, "notify_email": "me@example.com"})
    assert answer.status_code == 429 and "e-mails today" in answer.get_json()["message"]
