"""Bad input at the HTTP edge: a 4xx JSON error that says what is wrong, before any service."""

import pytest


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"account": "not a handle!"}, "account", "handle"),
        ({"account": ""}, "account", "handle"),
        ({"account": 42}, "account", "handle"),
        ({"account": "a.test", "provider": "myspace"}, "provider", "unknown provider"),
        ({"account": "a.test", "options": {"depth": 3}}, "options.depth", "unknown option"),
        (
            {"account": "a.test", "options": {"max_followers": 0}},
            "options.max_followers",
            "between",
        ),
        ({"account": "a.test", "colour": "red"}, "colour", "unknown field"),
    ],
)
def test_a_bad_submission_is_a_400_naming_the_field(api_client, body, field, words):
    response = api_client.post("/analyses", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["field"] == field and words in error["message"]


def test_malformed_json_and_wrong_content_types_are_400s(api_client):
    bad_json = api_client.post("/analyses", data="{", content_type="application/json")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.get_json()["message"]
    form = api_client.post("/analyses", data="account=a", content_type="text/plain")
    assert form.status_code == 400 and "application/json" in form.get_json()["message"]
    huge = api_client.post("/analyses", json={"account": "a" * 20_000})
    assert huge.status_code == 413 and "bytes" in huge.get_json()["message"]


def test_an_id_that_cannot_be_an_analysis_is_a_404_without_a_lookup(api_client):
    response = api_client.get("/analyses/..%2Fsecrets")
    assert response.status_code == 404
    assert api_client.get("/analyses/short").status_code == 404


def test_a_wrong_method_is_a_405(api_client):
    response = api_client.delete("/analyses")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
