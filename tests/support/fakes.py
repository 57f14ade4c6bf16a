"""In-memory stand-ins for the ports, for unit tests of the pipeline's logic only.

Each subclasses its port so it cannot drift from the interface the adapters implement.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from kindred.config import Settings
from kindred.core.cost import Meter, carried
from kindred.core.errors import NotFound
from kindred.core.messages import Message
from kindred.ports import (
    Account,
    AccountProfile,
    BlobStore,
    Clock,
    GraphSource,
    JobStore,
    Mailer,
    Page,
    TaskQueue,
)
from kindred.services.deps import Deps


class FakeGraph(GraphSource):
    """A follow graph from (a, b) edges; `a` follows `b`; accounts are named by number."""

    max_page = 3
    max_batch = 2

    def __init__(
        self,
        edges: Sequence[tuple[int, int]],
        meter: Meter,
        tables: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None,
    ):
        self.meter = meter
        self.on_call = lambda: None
        self.out, self.into = tables or self.tables(edges)

    @staticmethod
    def tables(
        edges: Sequence[tuple[int, int]],
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """(follows, followers) of each account, built once per world (a graph is made per
        invocation, as an adapter is)."""
        out: dict[str, list[str]] = {}
        into: dict[str, list[str]] = {}
        for a, b in edges:
            out.setdefault(f"a{a}", []).append(f"a{b}")
            into.setdefault(f"a{b}", []).append(f"a{a}")
            out.setdefault(f"a{b}", [])
            into.setdefault(f"a{a}", [])
        return out, into

    def _spend(self) -> None:
        self.meter.upstream_calls += 1
        self.on_call()

    def profile(self, actor: str) -> AccountProfile:
        self._spend()
        if actor not in self.out:
            raise NotFound(actor)
        return self._profile(actor)

    def profiles(self, actors: Sequence[str]) -> list[AccountProfile]:
        self._spend()
        return [self._profile(actor) for actor in actors if actor in self.out]

    def followers(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page(self.into, actor, cursor, limit)

    def follows(self, actor: str, cursor: str | None, limit: int) -> Page:
        return self._page(self.out, actor, cursor, limit)

    def _page(self, table: dict, actor: str, cursor: str | None, limit: int) -> Page:
        self._spend()
        if actor not in table:
            raise NotFound(actor)
        start = int(cursor or 0)
        items = sorted(table[actor])[start : start + min(limit, self.max_page)]
        more = start + len(items) < len(table[actor])
        return Page(
            tuple(Account(a, f"{a}.test") for a in items), str(start + len(items)) if more else None
        )

    def _profile(self, actor: str) -> AccountProfile:
        followers, follows = len(self.into[actor]), len(self.out[actor])
        return AccountProfile(actor, f"{actor}.test", actor.upper(), followers, follows)


class FakeStore(JobStore):
    def __init__(self, meter: Meter):
        self.docs: dict[str, dict[str, Any]] = {}
        self.meter = meter

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        self.meter.firestore_writes += 1
        written = copy.deepcopy(carried(data, self.meter))  # as the adapter: before the write
        if path in self.docs:
            return False
        self.docs[path] = written
        return True

    def get(self, path: str) -> dict[str, Any] | None:
        self.meter.firestore_reads += 1
        return copy.deepcopy(self.docs.get(path))

    def update(self, path: str, data: Mapping[str, Any]) -> None:
        self.meter.firestore_writes += 1
        self.docs.setdefault(path, {}).update(copy.deepcopy(carried(data, self.meter)))

    def _in(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (p.rsplit("/", 1)[1], d)
            for p, d in self.docs.items()
            if fnmatch.fnmatch(p, f"{collection}/*") and "/" not in p[len(collection) + 1 :]
        ]

    def _match(self, doc: dict, where: Sequence[tuple[str, str, Any]]) -> bool:
        ops = {"==": lambda a, b: a == b, "in": lambda a, b: a in b, "<": lambda a, b: a < b}
        return all(ops[op](doc.get(field), value) for field, op, value in where)

    def count(self, collection: str, where: Sequence[tuple[str, str, Any]] = ()) -> int:
        self.meter.firestore_reads += 1
        return sum(self._match(d, where) for _, d in self._in(collection))

    def totals(self, collection: str, fields: Sequence[str]) -> tuple[int, dict[str, int]]:
        self.meter.firestore_reads += 1
        docs = [d for _, d in self._in(collection)]
        return len(docs), {field: sum(d.get(field, 0) for d in docs) for field in fields}

    def list(self, collection: str) -> list[dict[str, Any]]:
        docs = [copy.deepcopy(d) for _, d in self._in(collection)]
        self.meter.firestore_reads += max(1, len(docs))
        return docs

    def query(self, collection, where=(), order_by=(), limit=None):  # type: ignore[override]
        found = [(i, copy.deepcopy(d)) for i, d in self._in(collection) if self._match(d, where)]
        for field, direction in reversed(order_by):
            found.sort(key=lambda item: item[1][field], reverse=direction == "descending")
        found = found[:limit] if limit is not None else found
        self.meter.firestore_reads += max(1, len(found))
        return found


class FakeBlobs(BlobStore):
    def __init__(self, meter: Meter):
        self.objects: dict[str, bytes] = {}
        self.meter = meter

    def write(self, name: str, data: bytes) -> None:
        self.meter.storage_writes += 1
        self.objects[name] = data

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        self.meter.storage_writes += 1
        self.objects[name] = json.dumps(carried(data, self.meter)).encode()

    def read(self, name: str) -> bytes:
        self.meter.storage_reads += 1
        if name not in self.objects:
            raise NotFound(name)
        return self.objects[name]

    def read_all(self, names: Sequence[str]) -> dict[str, bytes]:
        self.meter.storage_reads += len(names)
        return {name: self.objects[name] for name in names if name in self.objects}

    def exists(self, name: str) -> bool:
        self.meter.storage_reads += 1
        return name in self.objects

    def sizes(self, prefix: str) -> dict[str, int]:
        return {name: len(data) for name, data in self.objects.items() if name.startswith(prefix)}

    def stream(self, name: str) -> Iterator[bytes]:
        data = self.read(name)  # one counted read
        for start in range(0, len(data), 7):  # tiny chunks: lines straddle them
            yield data[start : start + 7]


class FakeQueue(TaskQueue):
    """Holds tasks by name (refusing repeats, as Cloud Tasks does) until `drain` runs them."""

    def __init__(self, meter: Meter):
        self.meter = meter
        self.pending: deque[tuple[str, str, dict]] = deque()  # (name, step, body) as delivered
        self.names: set[str] = set()
        self.queues: list[str] = []

    def enqueue(
        self, queue: str, name: str, message: Message, at: float | None = None, carry: bool = True
    ) -> bool:
        self.meter.tasks += 1
        if carry:
            message = message.with_cost(Meter.total([message.cost, self.meter.take()]))
        if name in self.names:
            self.meter.tasks -= 0 if carry else 1  # as the adapter: no task, none counted
            return False
        self.names.add(name)
        self.queues.append(queue)
        self.pending.append((name, message.STEP, json.loads(json.dumps(message.to_dict()))))
        return True


class FakeMailer(Mailer):
    """Keeps what it is handed; raises the errors queued in `failures` first, one a send."""

    def __init__(self, meter: Meter):
        self.meter = meter
        self.sent: list[EmailMessage] = []
        self.failures: list[Exception] = []

    def send(self, message: EmailMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        self.meter.mails += 1


class FakeClock(Clock):
    def __init__(self, now: float = 1_800_000_000.0):
        self.time = now

    def now(self) -> float:
        return self.time


class World:
    """One fake world; each invocation gets a fresh Meter, like a real function call."""

    def __init__(
        self,
        edges: Sequence[tuple[int, int]],
        settings: Settings | None = None,
        graph: Any = None,  # meter -> a source of its own (media: tests/support/media_session)
    ):
        self.edges = edges
        self.graph = graph
        self.settings = settings or Settings()
        meter = Meter()
        self.store, self.blobs, self.queue = FakeStore(meter), FakeBlobs(meter), FakeQueue(meter)
        self.mailer = FakeMailer(meter)
        self.clock = FakeClock()
        self.upstream_calls = 0  # every call any invocation made, as the upstream would count
        self._tables: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None

    def deps(self) -> Deps:
        meter = Meter()
        for port in (self.store, self.blobs, self.queue, self.mailer):
            port.meter = meter
        if self.graph is not None:
            source = self.graph(meter)
            return Deps(
                self.settings, self.store, self.blobs, self.queue, lambda _: source, self.clock,
                meter, mailer=self.mailer,
            )  # fmt: skip
        if self._tables is None:
            self._tables = FakeGraph.tables(self.edges)
        graph = FakeGraph(self.edges, meter, self._tables)
        graph.on_call = self._count
        return Deps(
            self.settings, self.store, self.blobs, self.queue, lambda _: graph, self.clock, meter,
            mailer=self.mailer,
        )  # fmt: skip

    def _count(self) -> None:
        self.upstream_calls += 1


def run_all(world: World, seed: int = 0, duplicates: bool = False) -> None:
    """Deliver every task, and those they create, in a random order (as a queue may), each
    twice with `duplicates`."""
    import random

    from kindred.services import pipeline

    rng = random.Random(seed)
    while world.queue.pending:
        index = rng.randrange(len(world.queue.pending))
        world.queue.pending.rotate(-index)
        _, step, payload = world.queue.pending.popleft()
        for _ in range(2 if duplicates else 1):
            pipeline.deliver(world.deps(), step, dict(payload))
