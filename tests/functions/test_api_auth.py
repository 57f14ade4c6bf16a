"""Submitting needs a configured API key; anything else is a 401 that creates nothing."""

import pytest
from support.functions import function_client

from kindred import bootstrap

BODY = {"account": "u1.ego-twitter.test"}


@pytest.mark.parametrize(
    ("authorization", "words"),
    [(None, "Authorization: Bearer"), ("Bearer nope", "not valid"), ("Basic abc", "Bearer")],
)
def test_a_submission_without_a_valid_key_is_a_401(authorization, words):
    headers = {"Authorization": authorization} if authorization else {}
    response = function_client("api").post("/analyses", json=BODY, headers=headers)
    assert response.status_code == 401
    assert words in response.get_json()["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_with_no_key_configured_nobody_may_submit(monkeypatch):
    monkeypatch.delenv("KINDRED_API_KEYS")
    bootstrap.settings.cache_clear()
    response = function_client("api").post(
        "/analyses", json=BODY, headers={"Authorization": "Bearer anything"}
    )
    assert response.status_code == 401 and "no API key" in response.get_json()["message"]
