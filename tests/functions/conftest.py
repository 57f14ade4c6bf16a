from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from support.functions import function_client

from kindred import bootstrap

TEST_KEY = "test-key-0123456789"


@pytest.fixture(autouse=True)
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings as a deployment has them: one API key; read afresh for each test."""
    monkeypatch.setenv("KINDRED_API_KEYS", TEST_KEY)
    bootstrap.settings.cache_clear()
    yield
    bootstrap.settings.cache_clear()


@pytest.fixture
def api_client() -> FlaskClient:
    client = function_client("api")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TEST_KEY}"
    return client
