"""Dataset export: a finished collection as uncompressed WebDataset shards and a manifest.

    submit ──> PlanExport ──> WriteShard x N          one task per shard, on the export queue
                                  └──> [shard marker] ──> FinishExport ──> manifest.json

The plan (core.shards) fixes every shard's samples and exact size before a byte moves. Each
WriteShard streams its files from the bucket into a resumable upload of its tar, through the
stdlib `tarfile`, hashing as it goes: it never holds a shard, only an upload chunk. A killed
WriteShard's retry writes its shard again from the start (the shard is the resumable unit);
a shard with its marker is never redone. Firestore holds the export's document and one
`create()` marker per shard, never one per sample (docs/decisions/0008-export-shards.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from kindred.core import collection_names, retry
from kindred.core import export_names as names
from kindred.core import shards as plan
from kindred.core.cost import Meter
from kindred.core.errors import Conflict, FailedForGood, InvalidInput, KindredError, NotFound
from kindred.core.messages import FinishExport, PlanExport, WriteShard
from kindred.core.timestamps import rfc3339
from kindred.services import collect
from kindred.services.deps import Deps
from kindred.services.handoff import send

_FIELDS = {"format", "shard_bytes", "validation_share", "url_lifetime"}
_KEPT = ("stored", "present")  # the outcomes of a collection's images that it holds
COPY_BYTES = 256 * 1024  # tarfile's copy buffer: one stored chunk at a time


@dataclass(frozen=True)
class ExportOptions:
    format: str = plan.FORMAT
    shard_bytes: int = plan.DEFAULT_SHARD_BYTES
    validation_share: float = 0.0
    url_lifetime: int = plan.DEFAULT_URL_LIFETIME


def parse_request(body: Any) -> ExportOptions:
    """The options of a `POST /collections/{id}/exports` body; raises InvalidInput."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", unknown[0])
    chosen = body.get("format", plan.FORMAT)
    if chosen not in plan.FORMATS:
        raise InvalidInput(
            f"format {str(chosen)[:40]!r} is not offered; known: {', '.join(plan.FORMATS)}",
            "format",
        )
    size = _within(body, "shard_bytes", plan.DEFAULT_SHARD_BYTES, plan.MIN_SHARD_BYTES,
                   plan.MAX_SHARD_BYTES, (int,))  # fmt: skip
    share = _within(body, "validation_share", 0.0, 0, plan.MAX_VALIDATION_SHARE, (int, float))
    lifetime = _within(body, "url_lifetime", plan.DEFAULT_URL_LIFETIME, plan.MIN_URL_LIFETIME,
                       plan.MAX_URL_LIFETIME, (int,))  # fmt: skip
    return ExportOptions(chosen, int(size), float(share), int(lifetime))


def _within(body: dict[str, Any], name: str, default: float, low: float, high: float,
            kinds: tuple[type, ...]) -> float:  # fmt: skip
    """The body's `name` (or its default) if it is one of `kinds` from `low` to `high`."""
    value = body.get(name, default)
    if type(value) not in kinds or not low <= value <= high:
        what = "an integer" if kinds == (int,) else "a number"
        raise InvalidInput(
            f"{name} must be {what} from {low:,} to {high:,}, not {str(value)[:40]}", name
        )
    return float(value)


def submit(deps: Deps, collection: str, options: ExportOptions) -> str:
    """Record the export of a finished collection and start it; returns its id."""
    try:
        doc = collect.status(deps, collection)
    except NotFound as error:
        raise NotFound(str(error), "collection") from error
    if doc["status"] != "done":
        raise Conflict(
            f"collection {collection} is {doc['status']}: export it once it is done", "collection"
        )
    accounts = collection_names.accounts_collection(collection)
    if options.validation_share > 0 and deps.store.count(accounts, [("images", ">", 0)]) < 2:
        raise InvalidInput(
            f"collection {collection} has images of fewer than 2 accounts: a validation split "
            "shares no account with the training split, so it needs two",
            "validation_share",
        )
    export = secrets.token_urlsafe(16).replace("_", "x").replace("-", "y")
    deps.store.create(
        names.export_doc(export),
        {
            "id": export, "kind": "export", "collection": collection, "status": "running",
            "provider": doc["provider"], "format": options.format,
            "shard_bytes": options.shard_bytes, "validation_share": options.validation_share,
            "url_lifetime": options.url_lifetime, "created_at": deps.clock.now(),
            "shards_total": None, "bytes_total": None, "samples_total": None, "cost": Meter(),
        },
    )  # fmt: skip
    send(deps, names.plan_task(export), PlanExport(analysis=export))
    return export


def samples(deps: Deps, collection: str, provider: str) -> list[plan.Sample]:
    """The collection's images as samples, in account order then CID: two lists per account
    (its outcomes in this collection, its stored files), no read of any file."""
    accounts = deps.store.list(collection_names.accounts_collection(collection))
    found: list[plan.Sample] = []
    for account in sorted(accounts, key=lambda doc: doc["index"]):
        if account.get("status") != "done" or not account.get("images"):
            continue
        prefix = collection_names.outcomes_prefix(collection, account["index"])
        kept = {
            name[len(prefix) :].partition(".")[0]
            for name in deps.blobs.sizes(prefix)
            if name[len(prefix) :].partition(".")[2] in _KEPT
        }
        media = collection_names.media_prefix(provider, account["did"])
        files = {name[len(media) :]: size for name, size in deps.blobs.sizes(media).items()}
        originals = {
            file.partition(".")[0]: file.partition(".")[2]
            for file in files
            if not file.endswith(".json")
        }
        for cid in sorted(kept):
            sidecar = f"{cid}.json"
            if cid not in originals or sidecar not in files:
                continue  # never stored whole: the collection counted it as missing
            ext = originals[cid]
            found.append(
                plan.Sample(
                    plan.sample_key(account.get("handle"), account["did"], cid), ext,
                    f"{media}{cid}.{ext}", files[f"{cid}.{ext}"], f"{media}{sidecar}",
                    files[sidecar], account["did"],
                )
            )  # fmt: skip
    return found


def plan_step(deps: Deps, message: PlanExport) -> None:
    export = message.analysis
    doc = deps.store.get(names.export_doc(export))
    if doc is None or doc["status"] != "running":
        return
    found = samples(deps, doc["collection"], doc["provider"])
    shards = plan.plan(doc["collection"], found, doc["shard_bytes"], doc["validation_share"])
    for i, shard in enumerate(shards):  # a repeated plan writes the same objects again
        deps.blobs.write_json(names.plan_blob(export, i), shard.to_dict())
    totals = {
        "shards_total": len(shards), "samples_total": len(found),
        "bytes_total": sum(shard.filesize for shard in shards),
    }  # fmt: skip
    deps.store.update(names.export_doc(export), totals)
    if not shards:
        send(deps, names.finish_task(export), FinishExport(analysis=export))
    for i in range(len(shards)):
        send(deps, names.shard_task(export, i), WriteShard(analysis=export, shard=i), carry=False)


def shard_step(deps: Deps, message: WriteShard) -> None:
    export, index = message.analysis, message.shard
    doc = deps.store.get(names.export_doc(export))
    if doc is None or doc["status"] != "running":
        return
    if deps.store.get(names.shard_doc(export, index)) is None:  # a finished shard: not redone
        shard = plan.Shard.from_dict(json.loads(deps.blobs.read(names.plan_blob(export, index))))
        try:
            record = write_shard(deps, names.shard_blob(export, shard.name), shard)
        except KindredError as error:
            decision = retry.decide(error, deps.attempt, message.delivery.waits)
            if decision.action is not retry.Action.GIVE_UP:
                raise
            _fail(deps, export, decision.reason, f"shard {shard.name}: {error}")
            return
        record = {**record, "index": index, "at": deps.clock.now(), "cost": message.cost}
        deps.store.create(names.shard_doc(export, index), record)
    if deps.store.count(names.shards_collection(export)) >= doc["shards_total"]:
        send(deps, names.finish_task(export), FinishExport(analysis=export))


class Digesting:
    """The shard's bytes on their way to the upload: counted, their sha256 and md5 taken."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.md5.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)

    def tell(self) -> int:
        return self.size


class Chunks:
    """An object's chunks as the file `tarfile` copies a member's data from."""

    def __init__(self, chunks: Iterable[bytes]):
        self.chunks: Iterator[bytes] = iter(chunks)
        self.chunk = b""
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        parts = []
        while size != 0:
            if self.offset >= len(self.chunk):
                self.chunk, self.offset = next(self.chunks, b""), 0
                if not self.chunk:
                    break
            end = len(self.chunk) if size < 0 else self.offset + size
            part = self.chunk[self.offset : end]
            self.offset += len(part)
            size = size if size < 0 else size - len(part)
            parts.append(part)
        return b"".join(parts)


def write_shard(deps: Deps, name: str, shard: plan.Shard) -> dict[str, Any]:
    """Write the shard to `name` from the stored files, streaming; its marker's record.
    Raises FailedForGood when the stored files are no longer those planned."""
    with deps.blobs.writer(name, "application/x-tar") as out:
        sink = Digesting(out)
        with tarfile.open(
            fileobj=sink,
            mode="w",
            format=plan.TAR_FORMAT,
            copybufsize=COPY_BYTES,  # type: ignore[call-overload]
        ) as tar:
            for sample in shard.samples:
                _add_sample(deps, tar, sample)
        if sink.size != shard.filesize:  # raised inside the upload: it is cancelled
            raise FailedForGood(
                f"{sink.size:,} bytes written where {shard.filesize:,} were planned", "changed"
            )
    return {
        "name": shard.name, "split": shard.split, "nsamples": len(shard.samples),
        "filesize": sink.size, "sha256": sink.sha256.hexdigest(), "md5": sink.md5.hexdigest(),
        "oversize": shard.oversize,
        "accounts": sorted({sample.account for sample in shard.samples}),
    }  # fmt: skip


def _add_sample(deps: Deps, tar: tarfile.TarFile, sample: plan.Sample) -> None:
    sidecar = deps.blobs.read(sample.sidecar)
    if len(sidecar) != sample.sidecar_size:
        raise FailedForGood(f"{sample.sidecar} changed since the export was planned", "changed")
    when = plan.mtime(json.loads(sidecar).get("created_at"))
    (file, size), (side, _) = sample.members
    try:
        tar.addfile(plan.member_info(file, size, when), Chunks(deps.blobs.stream(sample.file)))
    except OSError as error:  # "unexpected end of data": the file is shorter than planned
        raise FailedForGood(f"{sample.file}: {error}", "changed") from error
    tar.addfile(plan.member_info(side, len(sidecar), when), io.BytesIO(sidecar))


def finish_step(deps: Deps, message: FinishExport) -> None:
    export = message.analysis
    doc = deps.store.get(names.export_doc(export))
    if doc is None or doc["status"] != "running":
        return
    records = deps.store.list(names.shards_collection(export))
    if len(records) < (doc["shards_total"] or 0):
        return
    document = _manifest(deps, doc, records, doc["url_lifetime"])
    body = json.dumps(document, indent=1).encode()
    deps.blobs.write(names.manifest_blob(export), body)  # last: the export is complete
    deps.store.update(names.export_doc(export), {"status": "done", "finished_at": deps.clock.now()})


def _manifest(deps: Deps, doc: Mapping[str, Any], records: list[dict[str, Any]],
              lifetime: int) -> dict[str, Any]:  # fmt: skip
    urls, expires = _urls(deps, doc["id"], [record["name"] for record in records], lifetime)
    view = {**doc, "created": rfc3339(doc["created_at"], "seconds")}
    return plan.manifest(view, records, urls, expires)


def _urls(deps: Deps, export: str, shards: list[str], lifetime: int
          ) -> tuple[dict[str, str], str | None]:  # fmt: skip
    urls, expires = {}, None
    for name in shards:
        urls[name], until = deps.blobs.url(names.shard_blob(export, name), lifetime)
        expires = rfc3339(until, "seconds") if until is not None else None
    return urls, expires


def _fail(deps: Deps, export: str, reason: str, detail: str) -> None:
    error = {"reason": reason, "message": detail[:500]}
    failed = {"status": "failed", "error": error, "finished_at": deps.clock.now()}
    deps.store.update(names.export_doc(export), failed)


def _document(deps: Deps, export: str) -> dict[str, Any]:
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", export):
        raise NotFound(f"no export {export[:80]!r}", "export")
    doc = deps.store.get(names.export_doc(export))
    if doc is None or doc.get("kind") != "export":
        raise NotFound(f"no export {export!r}", "export")
    return doc


def status(deps: Deps, export: str) -> dict[str, Any]:
    """The export's status and progress; raises NotFound."""
    doc = _document(deps, export)
    done, totals = deps.store.totals(names.shards_collection(export), ["filesize"])
    manifest_url = None
    if doc["status"] == "done":
        manifest_url, _ = deps.blobs.url(names.manifest_blob(export), doc["url_lifetime"])
    return {
        "id": export, "collection": doc["collection"], "status": doc["status"],
        "progress": {
            "shards_done": done, "shards_total": doc["shards_total"],
            "bytes_done": totals["filesize"], "bytes_total": doc["bytes_total"],
        },
        "manifest_url": manifest_url, "error": doc.get("error"),
        "created": rfc3339(doc["created_at"]), "finished": rfc3339(doc.get("finished_at")),
    }  # fmt: skip


def manifest(deps: Deps, export: str, lifetime: int | None = None) -> dict[str, Any]:
    """The finished export's manifest with fresh URLs (`lifetime` s, default the export's);
    raises NotFound, or InvalidInput while it is not done."""
    doc = _document(deps, export)
    if doc["status"] != "done":
        raise Conflict(
            f"export {export} is {doc['status']}: its manifest is written when it is done",
            "export",
        )
    stored = json.loads(deps.blobs.read(names.manifest_blob(export)))
    names_ = [shard["name"] for shard in stored["shardlist"]]
    urls, expires = _urls(deps, export, names_, lifetime or doc["url_lifetime"])
    return plan.with_urls(stored, urls, expires)
