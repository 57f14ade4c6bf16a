"""Whatever a client sends, the API answers 2xx or a 4xx that explains; never a 5xx.

Hypothesis draws request bodies around the OpenAPI document's Submission schema (valid ones,
near misses and arbitrary JSON); the use case runs on in-memory fakes, so valid submissions
go all the way through submit.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fakes import World

from kindred.core.options import BOUNDS, CHOICES, AnalysisOptions
from kindred.web import api

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
accounts = st.one_of(
    st.sampled_from(["a1.test", "a2", "did:plc:abc", "@a3", "nobody.test", "", "a" * 300]),
    st.text(max_size=40),
    json_values,
)
option_values = st.one_of(
    st.integers(min_value=-5, max_value=2_000_000),
    st.sampled_from(["exact", "fast", "cosine", "weighted"]),
    json_values,
)
options = st.one_of(
    st.dictionaries(
        st.sampled_from([*BOUNDS, *CHOICES, "depth"]),
        option_values,
        max_size=4,
    ),
    json_values,
)
bodies = st.one_of(
    st.fixed_dictionaries(
        {"account": accounts},
        optional={
            "provider": st.sampled_from(["local", "bluesky", "x", 3]),
            "options": options,
            "callback_url": st.one_of(
                st.sampled_from(
                    ["http://127.0.0.1/", "http://169.254.169.254/", "https://hooks.example/x"]
                ),
                json_values,
            ),
        },
    ),
    json_values,
)


def _literal(host: str) -> list[str]:
    """What a resolver answers for an IP literal; nothing for any other name."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return []


@pytest.fixture
def fake_world(monkeypatch):
    world = World([(n, n % 3 + 1) for n in range(1, 12)])
    world.settings = world.settings.__class__(api_keys=("k",), max_running_per_client=1000)

    def deps():
        made = world.deps()
        made.resolve = lambda host: {"hooks.example": ["93.184.216.34"]}.get(host, _literal(host))
        return made

    monkeypatch.setattr(api.bootstrap, "deps", deps)
    return world


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_no_submission_body_gets_a_5xx(api_client, fake_world, body):
    response = api_client.post("/analyses", data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.get_json()["message"]


def test_the_openapi_document_is_served_and_describes_the_submission(api_client):
    document = api_client.get("/openapi.json").get_json()
    schema = document["components"]["schemas"]
    assert set(schema["Options"]["properties"]) == set(BOUNDS) | set(CHOICES)
    for name, (low, high) in BOUNDS.items():
        described = schema["Options"]["properties"][name]
        assert (described["minimum"], described["maximum"]) == (low, high)
        assert described["default"] == getattr(AnalysisOptions(), name)
    for name, choices in CHOICES.items():
        described = schema["Options"]["properties"][name]
        assert (tuple(described["enum"]), described["default"]) == (
            choices,
            getattr(AnalysisOptions(), name),
        )
    assert "/analyses" in document["paths"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://[::1]/",
        "http://169.254.169.254/computeMetadata/v1/",
        "http://10.0.0.8/",
        "http://localhost/",
        "http://metadata.google.internal/",
    ],
)
def test_a_callback_that_would_reach_inside_is_refused_and_creates_nothing(
    api_client, fake_world, url
):
    response = api_client.post("/analyses", json={"account": "a2", "callback_url": url})
    assert response.status_code == 400 and response.get_json()["field"] == "callback_url"
    assert not fake_world.store.docs and fake_world.upstream_calls == 0


def test_a_public_callback_is_kept_with_the_analysis(api_client, fake_world):
    response = api_client.post(
        "/analyses", json={"account": "a2", "callback_url": "https://hooks.example/x"}
    )
    assert response.status_code == 202
    doc = fake_world.store.docs[f"analyses/{response.get_json()['id']}"]
    assert doc["callback_url"] == "https://hooks.example/x"
