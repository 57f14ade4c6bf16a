"""Talking to the running stack's HTTP API from tests, as the CLI does."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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


def submit(stack: dict, account: str, options: dict, provider: str = "local") -> dict:
    """POST /analyses with the stack's API key; the 200/202 answer (id, status and results URLs)."""
    status, submitted = call(
        "POST",
        f"{stack['KINDRED_API_URL']}/analyses",
        {"account": account, "options": options, "provider": provider},
        {"Authorization": f"Bearer {stack['KINDRED_API_KEY']}"},
    )
    assert status in (200, 202), submitted
    return submitted


def wait_until(submitted: dict, done: Callable[[dict], bool], timeout: float) -> dict:
    """Poll the analysis's status until `done(status)`; fails with the last status if never."""
    deadline = time.monotonic() + timeout
    report: Any = None
    while time.monotonic() < deadline:
        _, report = call("GET", submitted["status_url"])
        if done(report):
            return report
        time.sleep(0.25)
    raise AssertionError(f"{submitted['id']} not there in {timeout:.0f} s; last status: {report}")


def finished(submitted: dict, timeout: float = 240) -> dict:
    """The result, once the analysis is done."""
    wait_until(submitted, lambda report: report.get("status") == "done", timeout)
    return call("GET", submitted["results_url"])[1]


def analyse(
    stack: dict, account: str, options: dict, timeout: float = 240, provider: str = "local"
) -> dict:
    """Submit and wait for the result; fails with the last status if it does not finish."""
    return finished(submit(stack, account, options, provider), timeout)


def wait_for_calls(env: dict, calls: int, timeout: float = 120) -> None:
    """Until the graph server has answered `calls` requests: the crawl's progress, counted
    where it happens (group markers all land near the end, since the chains run side by side)."""
    deadline = time.monotonic() + timeout
    while call("GET", env["KINDRED_GRAPH_URL"] + "/_stats")[1]["requests"] < calls:
        assert time.monotonic() < deadline, f"fewer than {calls} upstream calls in {timeout} s"
        time.sleep(0.1)
