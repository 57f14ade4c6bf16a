"""`--wait` outlives an API that misses a read (a timeout under load, a restart); a refusal
ends it."""

from __future__ import annotations

import socket

import pytest
import tenacity

from kindred_infra.client import ApiError, ApiUnreachable, KindredApi


def quick(attempts: int) -> tenacity.Retrying:
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(ApiUnreachable),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_none(),
        reraise=True,
    )


def reads(*answers: dict | Exception):
    left = list(answers)
    calls: list[str] = []

    def read(job: str) -> dict:
        calls.append(job)
        answer = left.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return read, calls


def test_a_wait_goes_on_past_reads_that_got_no_answer():
    read, calls = reads(ApiUnreachable("timed out"), ApiUnreachable("reset"), {"status": "done"})
    api = KindredApi("http://127.0.0.1:9", patience=lambda: quick(6))
    seen: list[dict] = []
    done = api._poll("collection", read, lambda last: last, "c1", seen.append, 0, None)
    assert done == {"status": "done"}
    assert calls == ["c1", "c1", "c1"]
    assert seen == [{"status": "done"}]


def test_a_refusal_is_not_tried_again():
    read, calls = reads(ApiError("no such collection (HTTP 404 not_found)"), {"status": "done"})
    api = KindredApi("http://127.0.0.1:9", patience=lambda: quick(6))
    with pytest.raises(ApiError, match="no such collection"):
        api._poll("collection", read, lambda last: last, "c1", lambda _: None, 0, None)
    assert calls == ["c1"]


def test_an_api_that_never_answers_ends_the_wait_saying_so():
    with socket.socket() as sock:  # a loopback port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = KindredApi(f"http://127.0.0.1:{port}", timeout=2, patience=lambda: quick(3))
    with pytest.raises(ApiUnreachable, match="cannot reach the kindred API"):
        api.wait_collection("c1", lambda _: None, every=0)


def test_the_default_patience_waits_about_half_a_minute_over_six_tries():
    policy = KindredApi("http://127.0.0.1:9").patience()
    state = tenacity.RetryCallState(policy, None, (), {})
    waits = []
    for attempt in range(1, 6):  # the waits after tries 1 to 5; the sixth failure is final
        state.attempt_number = attempt
        waits.append(policy.wait(state))
    assert waits == [1, 2, 4, 8, 16]
    state.attempt_number = 6
    assert policy.stop(state)
