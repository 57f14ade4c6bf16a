"""Schemathesis over the OpenAPI document, in-process against the api function: every check.

Every operation, with the phases schemathesis runs under pytest (boundaries and near misses
of each field, then generated cases: 100 examples an operation), on the in-memory fakes of
`support.fakes` with a resolver that finds every name public; any finding fails the test.
"""

from __future__ import annotations

import ipaddress
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from support.fakes import World
from support.functions import function_client

from kindred.web import api

load_all_checks()


def _literal(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return ["93.184.216.34"]  # any name is public here: no lookups in a test


@pytest.fixture
def fake_world(monkeypatch):
    world = World([(n, n % 3 + 1) for n in range(1, 12)])
    world.settings = world.settings.__class__(
        api_keys=(os.environ["KINDRED_API_KEYS"],),
        max_running_per_client=10**6,
        smtp_host="mail.example.org",  # notify_email is accepted (the mail is never sent here)
    )

    def deps():
        made = world.deps()
        made.resolve = _literal
        return made

    monkeypatch.setattr(api.bootstrap, "deps", deps)
    return world


schema = schemathesis.openapi.from_wsgi("/openapi.json", function_client("api").application)


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_openapi_document_says(case, fake_world):
    key = os.environ["KINDRED_API_KEYS"]
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS.get_all())
