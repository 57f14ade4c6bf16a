"""The JobStore on Firestore. Every operation is counted in the invocation's Meter.

No transactions: the local emulator never aborts one (docs/decisions/0003), so correctness rests on
`create()` preconditions and `count()` queries instead (docs/decisions/0003).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from kindred.core.cost import Meter, carried


class FirestoreJobStore:
    def __init__(self, client: firestore.Client, meter: Meter, prefix: str = ""):
        self.client = client
        self.meter = meter
        self.prefix = prefix

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
        try:
            self._doc(path).create(carried(data, self.meter))
        except AlreadyExists:
            return False
        return True

    def get(self, path: str) -> dict[str, Any] | None:
        self.meter.firestore_reads += 1
        snapshot = self._doc(path).get()
        return snapshot.to_dict() if snapshot.exists else None

    def update(self, path: str, data: Mapping[str, Any]) -> None:
        self.meter.firestore_writes += 1
        self._doc(path).set(carried(data, self.meter), merge=True)

    def count(self, collection: str, where: Sequence[tuple[str, str, Any]] = ()) -> int:
        self.meter.firestore_reads += 1
        result = self._filtered(collection, where).count().get()
        return int(result[0][0].value)

    def totals(self, collection: str, fields: Sequence[str]) -> tuple[int, dict[str, int]]:
        self.meter.firestore_reads += 1
        query = self._collection(collection).count(alias="count")
        for field in fields:
            query = query.sum(field, alias=field)
        values = {result.alias: result.value for result in query.get()[0]}
        return int(values["count"]), {field: int(values[field] or 0) for field in fields}

    def list(self, collection: str) -> list[dict[str, Any]]:
        docs = [doc.to_dict() or {} for doc in self._collection(collection).stream()]
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
        docs = [(doc.id, doc.to_dict()) for doc in query.stream()]
        self.meter.firestore_reads += max(1, len(docs))
        return docs
