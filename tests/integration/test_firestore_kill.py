"""The Firestore emulator dies by SIGKILL (no snapshot on the way out) and is started again: it
comes back with every write it had acknowledged, from its journal, so an analysis in flight
ends with exactly the fault-free answer and a finished one is still there."""

from __future__ import annotations

import os
import signal

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from support import expected
from support.api import call, finished, submit
from support.stack import speed_up
from test_restarts import ACCOUNT, OPTIONS, stack_options, wait_for_calls, want  # noqa: F401

from kindred_infra import stack
from kindred_infra.stack import state
from kindred_infra.stack.control import read_env_file


def kill_firestore(home) -> None:
    """SIGKILL the stack's Firestore emulator and start it again on its port, from its files."""
    part = next(p for p in state.load(home).parts if p.name == "firestore")
    os.killpg(part.pid, signal.SIGKILL)
    stack.restart(home, "firestore")


def store(env: dict, monkeypatch: pytest.MonkeyPatch) -> firestore.Client:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", env["FIRESTORE_EMULATOR_HOST"])
    return firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"])


def test_an_acknowledged_write_outlives_a_sigkill(stack_options, monkeypatch):  # noqa: F811
    client = store(read_env_file(stack_options.home), monkeypatch)
    kept = client.collection("kill-test")
    kept.document("made").create({"n": 1})
    with pytest.raises(AlreadyExists):  # refused: it must not come back either
        kept.document("made").create({"n": 2})
    kept.document("made").set({"m": firestore.Increment(3)}, merge=True)
    kept.document("gone").create({"n": 4})
    kept.document("gone").delete()
    kept.document("last").set({"at": firestore.SERVER_TIMESTAMP})
    before = {doc.id: doc.to_dict() for doc in kept.stream()}

    kill_firestore(stack_options.home)

    client = store(read_env_file(stack_options.home), monkeypatch)
    after = {doc.id: doc.to_dict() for doc in client.collection("kill-test").stream()}
    assert after == before
    assert after["made"] == {"n": 1, "m": 3}
    assert "gone" not in after


def test_killing_firestore_mid_analysis_keeps_it_and_its_answer(stack_options, want):  # noqa: F811
    env = speed_up(read_env_file(stack_options.home))
    earlier = submit(env, f"u{ACCOUNT}.ego-twitter.test", {**OPTIONS, "results": 9})
    earlier_result = finished(earlier, 180)
    call("POST", env["KINDRED_GRAPH_URL"] + "/_stats/reset")
    submitted = submit(env, f"u{ACCOUNT}.ego-twitter.test", OPTIONS)
    for calls in (400, 800):  # of 1,225: the kills fall in the middle of the crawl
        wait_for_calls(env, calls)
        kill_firestore(stack_options.home)
        status, report = call("GET", submitted["status_url"])
        assert status == 200 and report["status"] in ("followers", "follows"), report

    result = finished(submitted, 180)
    expected.assert_same_answer(result, want)
    status, again = call("GET", earlier["results_url"] + "?format=json")
    assert status == 200 and again == earlier_result  # finished before the kills: still there
