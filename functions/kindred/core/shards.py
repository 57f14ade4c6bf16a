"""Planning an export: which samples go in which WebDataset shard, and each shard's exact bytes.

A shard is an uncompressed POSIX tar (PAX) written by the stdlib `tarfile`: per sample the
original file `{key}.image` then its sidecar `{key}.json`, with fixed member metadata (mode
0444, uid/gid 0, no user or group names, mtime the post's time). A member's header depends only
on its name and size (mtime is kept within the header's octal field), so the size of every
shard is known before a byte is read: `tarfile` adds two zero blocks and pads the archive to
RECORDSIZE at close, and so does `tar_bytes`. Everything here is pure: the same collection
always gives the same plan, the same shards and the same checksums.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

FORMAT = "webdataset"
FORMATS = (FORMAT,)
MIN_SHARD_BYTES, MAX_SHARD_BYTES = 1_000_000, 5_000_000_000
DEFAULT_SHARD_BYTES = 350_000_000
MAX_VALIDATION_SHARE = 0.5
MIN_URL_LIFETIME, MAX_URL_LIFETIME = 60, 604_800  # a V4 signed URL lives at most 7 days
DEFAULT_URL_LIFETIME = MAX_URL_LIFETIME
TAR_FORMAT: Literal[2] = tarfile.PAX_FORMAT
MEMBER_MODE = 0o444
MAX_MTIME = 8**11 - 1  # the largest mtime the header's field holds without a PAX record
KEY_CHARS = re.compile(r"[^A-Za-z0-9-]")
INDEX = "wids-shard-index-v1"
# Every sample's file is `{key}.image`, whatever its type (JPEG, PNG, WebP: the sidecar's
# mime_type says which; readers decode by content): Hugging Face's `webdataset` loader refuses
# shards whose samples do not all carry the same fields, as `{key}.jpg` beside `{key}.png` do.
IMAGE_FIELD = "image"


@dataclass(frozen=True)
class Sample:
    """One image of the collection: its stored file and sidecar, and whose it is."""

    key: str  # dot-free, unique in the export
    ext: str  # the stored file's own extension (its member is `{key}.image` all the same)
    file: str  # the object holding the original bytes
    size: int
    sidecar: str  # the object holding its sidecar JSON
    sidecar_size: int
    account: str  # the account's DID: a split never shares one

    @property
    def members(self) -> tuple[tuple[str, int], tuple[str, int]]:
        return (f"{self.key}.{IMAGE_FIELD}", self.size), (f"{self.key}.json", self.sidecar_size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "ext": self.ext, "file": self.file, "size": self.size,
            "sidecar": self.sidecar, "sidecar_size": self.sidecar_size, "account": self.account,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Sample:
        return cls(**{key: raw[key] for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Shard:
    name: str  # its file name, `{base}-{NNNNNN}.tar`
    split: str  # train or validation
    samples: tuple[Sample, ...]
    filesize: int  # exactly the bytes tarfile writes for it
    oversize: bool  # a single sample larger than the bound, alone in its shard

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "split": self.split, "filesize": self.filesize,
            "oversize": self.oversize, "samples": [sample.to_dict() for sample in self.samples],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Shard:
        samples = tuple(Sample.from_dict(sample) for sample in raw["samples"])
        return cls(raw["name"], raw["split"], samples, raw["filesize"], raw["oversize"])


def sample_key(handle: str | None, did: str, cid: str) -> str:
    """`{handle}_{cid}` with every character but letters, digits and `-` made `_`: WebDataset
    splits a member's name at its first dot, and a handle (`alice.bsky.social`) has several."""
    return f"{KEY_CHARS.sub('_', handle or did)}_{KEY_CHARS.sub('_', cid)}"


def unique_keys(samples: Iterable[Sample]) -> list[Sample]:
    """The samples with every key unique (a repeat gets `_2`, `_3`, ...), in their order."""
    seen: set[str] = set()
    out = []
    for sample in samples:
        key, n = sample.key, 1
        while key in seen:
            n += 1
            key = f"{sample.key}_{n}"
        seen.add(key)
        out.append(sample if key == sample.key else _with_key(sample, key))
    return out


def _with_key(sample: Sample, key: str) -> Sample:
    return Sample(key, sample.ext, sample.file, sample.size, sample.sidecar,
                  sample.sidecar_size, sample.account)  # fmt: skip


def mtime(created_at: str | None) -> int:
    """The member mtime of a post's RFC 3339 time: whole seconds, within the header's field;
    0 for a time that cannot be read."""
    try:
        seconds = int(datetime.fromisoformat(str(created_at).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0
    return min(max(seconds, 0), MAX_MTIME)


def member_info(name: str, size: int, when: int = 0) -> tarfile.TarInfo:
    """The TarInfo every member is written with: only its name, size and mtime vary."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, min(max(when, 0), MAX_MTIME), MEMBER_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def header(name: str, size: int, when: int = 0) -> bytes:
    """The member's header blocks, as `TarFile.addfile` writes them."""
    return member_info(name, size, when).tobuf(TAR_FORMAT, "utf-8", "surrogateescape")


def member_bytes(name: str, size: int) -> int:
    """A member's bytes in the archive: its header, its data, the data's padding."""
    return len(header(name, size)) + -(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def sample_bytes(sample: Sample) -> int:
    return sum(member_bytes(name, size) for name, size in sample.members)


def tar_bytes(members: int) -> int:
    """The archive's size for `members` bytes of members: `TarFile.close` writes two zero
    blocks, then pads to a whole RECORDSIZE."""
    ended = members + 2 * tarfile.BLOCKSIZE
    return -(-ended // tarfile.RECORDSIZE) * tarfile.RECORDSIZE


def pack(samples: Sequence[Sample], bound: int) -> list[tuple[tuple[Sample, ...], int, bool]]:
    """The samples in order, cut into shards of at most `bound` bytes each: (samples, bytes,
    oversize). A sample that alone makes a shard over the bound is alone in its shard."""
    groups: list[tuple[Sample, ...]] = []
    sizes: list[int] = []
    current: list[Sample] = []
    members = 0
    for sample in samples:
        size = sample_bytes(sample)
        if current and tar_bytes(members + size) > bound:
            groups.append(tuple(current))
            sizes.append(tar_bytes(members))
            current, members = [], 0
        current.append(sample)
        members += size
    if current:
        groups.append(tuple(current))
        sizes.append(tar_bytes(members))
    return [(group, size, size > bound) for group, size in zip(groups, sizes, strict=True)]


def split_accounts(
    samples: Sequence[Sample], share: float, seed: str
) -> tuple[list[Sample], list[Sample]]:
    """(train, validation): whole accounts, about `share` of the samples in validation.

    Accounts are taken in the order of sha256(seed + DID), a fixed shuffle, each added when it
    brings the validation count nearer its target; with a share and two accounts or more,
    validation has at least one. No account is in both.
    """
    if share <= 0:
        return list(samples), []
    counts: dict[str, int] = {}
    for sample in samples:
        counts[sample.account] = counts.get(sample.account, 0) + 1
    order = sorted(counts, key=lambda did: hashlib.sha256(f"{seed}/{did}".encode()).hexdigest())
    target, taken, chosen = share * len(samples), 0, set()
    for did in order:
        if abs(taken + counts[did] - target) < abs(taken - target):
            chosen.add(did)
            taken += counts[did]
    if not chosen and len(order) > 1:
        chosen.add(min(order, key=lambda did: counts[did]))
    return (
        [sample for sample in samples if sample.account not in chosen],
        [sample for sample in samples if sample.account in chosen],
    )


def base_name(collection: str) -> str:
    return f"kindred-{collection}"


def split_base(collection: str, split: str, split_used: bool) -> str:
    return f"{base_name(collection)}-{split}" if split_used else base_name(collection)


def plan(collection: str, samples: Sequence[Sample], bound: int, share: float) -> list[Shard]:
    """Every shard of the export, train then validation, each numbered from 000000."""
    train, validation = split_accounts(unique_keys(samples), share, collection)
    shards = []
    for split, chosen in (("train", train), ("validation", validation)):
        base = split_base(collection, split, share > 0)
        for i, (group, size, oversize) in enumerate(pack(chosen, bound)):
            shards.append(Shard(f"{base}-{i:06d}.tar", split, group, size, oversize))
    return shards


def manifest(
    export: Mapping[str, Any],
    shards: Sequence[Mapping[str, Any]],
    urls: Mapping[str, str],
    expires: str | None,
) -> dict[str, Any]:
    """The manifest document (a `wids` shard index, extended): `shards` are the finished
    shards' records (name, split, nsamples, filesize, sha256, md5, oversize, accounts),
    `urls` where each can be read, by name."""
    ordered = sorted(shards, key=lambda shard: (shard["split"] != "train", shard["name"]))
    splits: dict[str, Any] = {}
    for split in ("train", "validation"):
        mine = [shard for shard in ordered if shard["split"] == split]
        if not mine:
            continue
        base = split_base(export["collection"], split, export.get("validation_share", 0) > 0)
        splits[split] = {
            "pattern": f"{base}-{{000000..{len(mine) - 1:06d}}}.tar", "shards": len(mine),
            "samples": sum(shard["nsamples"] for shard in mine),
            "bytes": sum(shard["filesize"] for shard in mine),
            "accounts": len({did for shard in mine for did in shard["accounts"]}),
        }  # fmt: skip
    return {
        "__kind__": INDEX, "wids_version": 1, "name": base_name(export["collection"]),
        "export": export["id"], "collection": export["collection"], "format": export["format"],
        "shard_bytes": export["shard_bytes"], "created": export["created"],
        "urls_expire": expires,
        "shardlist": [
            {"name": shard["name"], "split": shard["split"], "url": urls[shard["name"]],
             "nsamples": shard["nsamples"], "filesize": shard["filesize"],
             "sha256": shard["sha256"], "md5": shard["md5"], "oversize": shard["oversize"]}
            for shard in ordered
        ],
        "splits": splits,
        "totals": {
            "shards": len(ordered), "samples": sum(shard["nsamples"] for shard in ordered),
            "bytes": sum(shard["filesize"] for shard in ordered),
        },
    }  # fmt: skip


def with_urls(document: Mapping[str, Any], urls: Mapping[str, str], expires: str | None
              ) -> dict[str, Any]:  # fmt: skip
    """The manifest with fresh URLs (re-signed in the cloud), everything else as stored."""
    shardlist = [{**shard, "url": urls[shard["name"]]} for shard in document["shardlist"]]
    return {**document, "shardlist": shardlist, "urls_expire": expires}
