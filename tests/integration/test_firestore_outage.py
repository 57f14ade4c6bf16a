"""Firestore stops answering: the API says so in a few seconds, as a 503 JSON naming the store,
instead of hanging for minutes and ending in an HTML 500; once the store is back, it works."""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

from support.api import call, finished, submit
from support.expected import DEFAULTS
from test_restarts import ACCOUNT, stack_options  # noqa: F401 (a fixture)

from kindred_infra import stack
from kindred_infra.stack import state
from kindred_infra.stack.control import read_env_file

BOUND = 15.0  # seconds: the store's 5 s deadline, with room for a loaded machine
SMALL = {**DEFAULTS, "max_followers": 100, "max_follows_per_follower": 20}


@contextmanager
def frozen(home) -> Iterator[None]:
    """The stack's Firestore emulator stopped (SIGSTOP): its port still takes connections, as a
    hung server's does, but nothing answers; resumed (SIGCONT) on the way out."""
    part = next(p for p in state.load(home).parts if p.name == "firestore")
    os.killpg(part.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(part.pid, signal.SIGCONT)


def timed(method: str, url: str, body=None, headers=None) -> tuple[int, dict, float]:
    began = time.monotonic()
    status, answer = call(method, url, body, headers)
    return status, answer, time.monotonic() - began


def test_a_stopped_store_is_a_prompt_503_naming_it_and_a_resumed_one_works(stack_options):  # noqa: F811
    env = read_env_file(stack_options.home)
    before = submit(env, f"u{ACCOUNT}.ego-twitter.test", SMALL)
    finished(before, 120)
    status_url = before["status_url"]
    key = {"Authorization": f"Bearer {env['KINDRED_API_KEY']}"}
    fresh = {"account": f"u{ACCOUNT}.ego-twitter.test", "options": {**SMALL, "results": 7}}

    with frozen(stack_options.home):
        for method, url, body in (
            ("GET", status_url, None),
            ("GET", f"{env['KINDRED_API_URL']}/analyses/{secrets.token_hex(16)}", None),
            ("POST", f"{env['KINDRED_API_URL']}/analyses", fresh),
        ):
            status, answer, seconds = timed(method, url, body, key)
            assert status == 503, (method, url, status, answer)
            assert answer["error"] == "store_unavailable", answer
            assert "Firestore" in answer["message"] and "try again" in answer["message"]
            assert seconds < BOUND, f"{method} {url}: {seconds:.1f} s"
            print(f"{method} {url.rsplit('/', 1)[-1]}: 503 in {seconds:.1f} s: {answer['message']}")

    status, report = call("GET", status_url)
    assert status == 200 and report["status"] == "done", report
    assert finished(submit(env, fresh["account"], fresh["options"]), 120)["status"] == "done"
    assert all(part.healthy for part in stack.status(stack_options.home))
