"""The Firestore JobStore bounds every call and names a store that does not answer.

A stand-in client records what each call was given and fails as the google-cloud-firestore
client does when the store is down (the real client against a stopped emulator:
tests/integration/test_firestore_outage.py).
"""

from __future__ import annotations

import pytest
from google.api_core.exceptions import (
    AlreadyExists,
    DeadlineExceeded,
    InvalidArgument,
    RetryError,
    ServiceUnavailable,
)

from kindred.adapters.firestore_store import FirestoreJobStore
from kindred.core.cost import Meter
from kindred.core.errors import RetryLater, StoreUnavailable


class Document:
    def __init__(self, error: Exception | None, calls: list[dict]):
        self.error, self.calls = error, calls

    def _call(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error

    def create(self, data, **kwargs):
        self._call(**kwargs)

    def set(self, data, merge=False, **kwargs):
        self._call(**kwargs)

    def get(self, **kwargs):
        self._call(**kwargs)
        return Missing()


class Missing:
    exists = False


class Client:
    def __init__(self, error: Exception | None = None):
        self.error, self.calls = error, []

    def document(self, path):
        return Document(self.error, self.calls)


def store(error: Exception | None = None) -> tuple[FirestoreJobStore, Client]:
    client = Client(error)
    return FirestoreJobStore(client, Meter(), prefix="t-", timeout=3.0), client  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailable("failed to connect to all addresses"),
        DeadlineExceeded("Deadline Exceeded"),
        RetryError("Timeout of 3.0s exceeded", ServiceUnavailable("connection refused")),
    ],
)
def test_a_store_that_does_not_answer_is_a_store_unavailable_naming_the_call(error):
    jobs, _ = store(error)
    with pytest.raises(StoreUnavailable) as raised:
        jobs.get("analyses/abc")
    assert isinstance(raised.value, RetryLater)  # the queue retries; the API answers 503
    assert raised.value.kind == "store_unavailable"
    message = str(raised.value)
    assert "Firestore" in message and "get analyses/abc" in message and "3 s" in message
    assert type(error).__name__ in message


def test_every_call_has_a_deadline_and_a_retry_bounded_by_it():
    jobs, client = store()
    jobs.get("analyses/abc")
    jobs.update("analyses/abc", {"status": "done"})
    jobs.create("analyses/abc/groups/g0", {"n": 1})
    assert [call["timeout"] for call in client.calls] == [3.0, 3.0, 3.0]
    assert all(call["retry"].timeout == 3.0 for call in client.calls)


def test_a_create_retries_only_a_refused_connection_never_a_deadline():
    jobs, client = store()
    jobs.create("analyses/abc/groups/g0", {"n": 1})
    retry = client.calls[0]["retry"]
    assert retry._predicate(ServiceUnavailable("refused"))
    assert not retry._predicate(DeadlineExceeded("it may have landed"))


def test_a_create_that_finds_the_document_is_false_and_a_bug_is_raised_as_it_is():
    jobs, _ = store(AlreadyExists("entity already exists"))
    assert jobs.create("analyses/abc/groups/g0", {"n": 1}) is False
    jobs, _ = store(InvalidArgument("bad field"))
    with pytest.raises(InvalidArgument):
        jobs.update("analyses/abc", {"status": "done"})
