"""The JobStore on Firestore. Every operation is counted in the invocation's Meter.

No transactions: the local emulator never aborts one (docs/decisions/0003), so correctness rests on
`create()` preconditions and `count()` queries instead (docs/decisions/0003).

Every call has a deadline (`timeout` seconds in all, retries included; 5 s by default) and a
short retry of the passing gRPC failures; a store that still does not answer raises
StoreUnavailable (a RetryLater) naming the operation, so the API answers 503 and the queue
retries the step, instead of a call hanging for minutes and ending as a bare 500.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from google.api_core.exceptions import (
    Aborted,
    AlreadyExists,
    DeadlineExceeded,
    ResourceExhausted,
    RetryError,
    ServiceUnavailable,
)
from google.api_core.retry import Retry, if_exception_type
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from kindred.core.cost import Meter, carried
from kindred.core.errors import StoreUnavailable

TIMEOUT_SECONDS = 5.0  # per call, retries included: a healthy store answers in milliseconds
# What passes: a refused or dropped connection, a deadline, contention, quota. Anything else
# (a bad argument, a missing index) is a bug and is raised as it is.
PASSING = (ServiceUnavailable, DeadlineExceeded, Aborted, ResourceExhausted, RetryError)


def retry_policy(timeout: float, *, idempotent: bool = True) -> Retry:
    """Retry after 0.1, 0.2, 0.4 ... 1 s until `timeout`. A create() retries only a refused
    connection: after a deadline its first attempt may have landed, and a retry would then
    see its own document as AlreadyExists."""
    passing = (
        (ServiceUnavailable, DeadlineExceeded, Aborted) if idempotent else (ServiceUnavailable,)
    )
    return Retry(
        predicate=if_exception_type(*passing),
        initial=0.1,
        maximum=1.0,
        multiplier=2.0,
        timeout=timeout,
    )


@contextmanager
def _answered(operation: str, path: str, timeout: float) -> Iterator[None]:
    """Raise StoreUnavailable, naming the operation and path, for a store that did not answer."""
    try:
        yield
    except PASSING as error:
        raise StoreUnavailable(
            f"the job store (Firestore) did not answer {operation} {path} within {timeout:g} s "
            f"({type(error).__name__}: {error})"
        ) from error


class FirestoreJobStore:
    def __init__(
        self,
        client: firestore.Client,
        meter: Meter,
        prefix: str = "",
        timeout: float = TIMEOUT_SECONDS,
    ):
        self.client = client
        self.meter = meter
        self.prefix = prefix
        self.timeout = timeout
        self._retry = retry_policy(timeout)
        self._create_retry = retry_policy(timeout, idempotent=False)

    def _doc(self, path: str) -> firestore.DocumentReference:
        return self.client.document(self.prefix + path)

    def _collection(self, path: str) -> firestore.CollectionReference:
        return self.client.collection(self.prefix + path)

    def _filtered(self, collection: str, where: Sequence[tuple[str, str, Any]]) -> Any:
        query: Any = self._collection(collection)
        for field, op, value in where:
            query = query.where(filter=FieldFilter(field, op, value))
        return query

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        self.meter.firestore_writes += 1
        with _answered("create", path, self.timeout):
            try:
                self._doc(path).create(
                    carried(data, self.meter), retry=self._create_retry, timeout=self.timeout
                )
            except AlreadyExists:
                return False
        return True

    def get(self, path: str) -> dict[str, Any] | None:
        self.meter.firestore_reads += 1
        with _answered("get", path, self.timeout):
            snapshot = self._doc(path).get(retry=self._retry, timeout=self.timeout)
        return snapshot.to_dict() if snapshot.exists else None

    def update(self, path: str, data: Mapping[str, Any]) -> None:
        self.meter.firestore_writes += 1
        with _answered("update", path, self.timeout):
            self._doc(path).set(
                carried(data, self.meter), merge=True, retry=self._retry, timeout=self.timeout
            )

    def count(self, collection: str, where: Sequence[tuple[str, str, Any]] = ()) -> int:
        self.meter.firestore_reads += 1
        with _answered("count", collection, self.timeout):
            result = (
                self._filtered(collection, where)
                .count()
                .get(retry=self._retry, timeout=self.timeout)
            )
        return int(result[0][0].value)

    def totals(self, collection: str, fields: Sequence[str]) -> tuple[int, dict[str, int]]:
        self.meter.firestore_reads += 1
        query = self._collection(collection).count(alias="count")
        for field in fields:
            query = query.sum(field, alias=field)
        with _answered("totals", collection, self.timeout):
            values = {
                result.alias: result.value
                for result in query.get(retry=self._retry, timeout=self.timeout)[0]
            }
        return int(values["count"]), {field: int(values[field] or 0) for field in fields}

    def list(self, collection: str) -> list[dict[str, Any]]:
        with _answered("list", collection, self.timeout):
            docs = [
                doc.to_dict() or {}
                for doc in self._collection(collection).stream(
                    retry=self._retry, timeout=self.timeout
                )
            ]
        self.meter.firestore_reads += max(1, len(docs))
        return docs

    def query(
        self,
        collection: str,
        where: Sequence[tuple[str, str, Any]] = (),
        order_by: Sequence[tuple[str, str]] = (),
        limit: int | None = None,
    ) -> builtins.list[tuple[str, dict[str, Any]]]:
        query = self._filtered(collection, where)
        for field, direction in order_by:
            query = query.order_by(field, direction=direction.upper())
        if limit is not None:
            query = query.limit(limit)
        with _answered("query", collection, self.timeout):
            docs = [
                (doc.id, doc.to_dict())
                for doc in query.stream(retry=self._retry, timeout=self.timeout)
            ]
        self.meter.firestore_reads += max(1, len(docs))
        return docs
