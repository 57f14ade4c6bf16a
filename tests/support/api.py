"""Talking to the running stack's HTTP API from tests, as the CLI does."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any


def call(method: str, url: str, body: Any = None, headers: dict | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def analyse(stack: dict, account: str, options: dict, timeout: float = 240) -> dict:
    """Submit and wait for the result; fails with the last status if it does not finish."""
    status, submitted = call(
        "POST",
        f"{stack['KINDRED_API_URL']}/analyses",
        {"account": account, "options": options},
        {"Authorization": f"Bearer {stack['KINDRED_API_KEY']}"},
    )
    assert status in (200, 202), submitted
    deadline = time.monotonic() + timeout
    report: Any = None
    while time.monotonic() < deadline:
        _, report = call("GET", submitted["results_url"])
        if report.get("status") == "done":
            return report
        time.sleep(0.5)
    raise AssertionError(f"{account} did not finish in {timeout:.0f} s; last status: {report}")
