"""An export on the real stack is the collection, byte for byte: every stored file and sidecar
read back by the real `webdataset` reader, streaming from the manifest's URLs; shards within
the bound, digests right, byte-identical when exported again, and when a shard's task is
killed mid-way and retried."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from support.api import call
from support.collection import collect
from support.export import (
    SMALL,
    assert_the_collection,
    check_shards,
    export,
    export_done,
    members,
    read_samples,
    sidecar_of,
    stored_samples,
    submit_export,
)  # fmt: skip
from support.stack import step_entries

from kindred_infra import stack
from kindred_infra.stack import state

BOUND = 1_000_000  # the smallest shard_bytes: some 5 images a shard, several shards


@pytest.fixture(scope="module")
def collected(media_stack):
    return collect(media_stack, SMALL["accounts"], SMALL["cap"])


@pytest.fixture(scope="module")
def first(media_stack, collected):
    return export(media_stack, collected["id"], shard_bytes=BOUND)


def digests(manifest: dict) -> list[tuple[str, int, str, str]]:
    return [(s["name"], s["filesize"], s["sha256"], s["md5"]) for s in manifest["shardlist"]]


def test_the_shards_are_the_collections_files_and_sidecars_byte_for_byte(
    media_stack, collected, first
):
    shards = check_shards(first)
    want = stored_samples(media_stack, collected)
    assert len(shards) >= 3 and first["totals"]["samples"] == len(want) == 16
    samples = read_samples([shard["url"] for shard in first["shardlist"]])
    assert_the_collection(samples, want)
    for key, sample in samples.items():
        handle = sidecar_of(sample)["author"]["handle"]
        assert key.startswith(handle.replace(".", "_") + "_")
    for data in shards.values():
        for info in members(data):
            assert (info.mode, info.uid, info.gid, info.uname, info.gname) == (0o444, 0, 0, "", "")
        created = sidecar_of({"json": _member(data, members(data)[1])})["created_at"]
        assert members(data)[0].mtime == int(datetime.fromisoformat(created).timestamp())
    assert first["totals"] == {"shards": len(shards), "samples": 16,
                               "bytes": sum(map(len, shards.values()))}  # fmt: skip
    assert first["splits"]["train"]["pattern"] == (
        f"kindred-{collected['id']}-{{000000..{len(shards) - 1:06d}}}.tar"
    )
    assert first["splits"]["train"]["accounts"] == 2 and first["urls_expire"] is None
    shard = first["shardlist"][1]  # its URL serves a Range, as a resuming pull asks
    ranged = urllib.request.Request(shard["url"], headers={"Range": "bytes=1000-"})
    with urllib.request.urlopen(ranged, timeout=30) as answer:
        assert answer.status == 206 and answer.read() == shards[shard["name"]][1000:]


def _member(data: bytes, info) -> bytes:
    return data[info.offset_data : info.offset_data + info.size]


def test_exporting_again_gives_byte_identical_shards(media_stack, collected, first):
    again = export(media_stack, collected["id"], shard_bytes=BOUND)
    assert again["export"] != first["export"]
    assert digests(again) == digests(first)


def test_a_validation_split_shares_no_account_and_is_the_same_each_time(media_stack, collected):
    manifests = [export(media_stack, collected["id"], shard_bytes=BOUND, validation_share=0.5)
                 for _ in range(2)]  # fmt: skip
    assert digests(manifests[0]) == digests(manifests[1])
    manifest = manifests[0]
    accounts = {}
    for split in ("train", "validation"):
        urls = [s["url"] for s in manifest["shardlist"] if s["split"] == split]
        assert urls and manifest["splits"][split]["accounts"] == 1
        samples = read_samples(urls)
        accounts[split] = {sidecar_of(s)["author"]["did"] for s in samples.values()}
        assert all(f"-{split}-" in s["name"] for s in manifest["shardlist"] if s["split"] == split)
    assert not accounts["train"] & accounts["validation"]
    assert manifest["totals"]["samples"] == 16


def test_a_shard_task_killed_mid_write_is_rewritten_to_the_same_bytes(
    media_stack, collected, first
):
    home = Path(media_stack["KINDRED_HOME"])
    status, made = submit_export(media_stack, collected["id"], shard_bytes=BOUND)
    assert status == 202, made
    url = f"{media_stack['KINDRED_API_URL']}/exports/{made['id']}"
    deadline = time.monotonic() + 60
    while True:  # kill once the shards are being written, before the last one is
        progress = call("GET", url)[1]["progress"]
        if progress["shards_total"] and 0 < progress["shards_done"] < progress["shards_total"]:
            break
        assert time.monotonic() < deadline, progress
        time.sleep(0.02)
    tasks = next(part for part in state.load(home).parts if part.name == "function:tasks")
    os.killpg(tasks.pid, signal.SIGKILL)
    stack.restart(home, "function:tasks")
    export_done(media_stack, made["id"])
    entries = step_entries(home / "logs" / "function-tasks.log", made["id"])
    retried = [e for e in entries if e["step"] == "shard" and e["attempt"] > 0]
    assert retried and all(e["outcome"] == "ok" for e in retried), entries  # killed mid-write
    manifest = call("GET", f"{url}/manifest")[1]
    assert digests(manifest) == digests(first)
    check_shards(manifest)


def test_the_api_refuses_what_it_cannot_export(media_stack, collected):
    assert submit_export(media_stack, "nosuchcollection1")[0] == 404
    status, body = submit_export(media_stack, collected["id"], shard_bytes=999)
    assert (status, body["field"]) == (400, "shard_bytes")
    status, body = submit_export(media_stack, collected["id"], validation_share=0.6)
    assert (status, body["field"]) == (400, "validation_share")
    status, body = submit_export(media_stack, collected["id"], format="tfrecord")
    assert (status, body["field"]) == (400, "format")
    status, body = call("GET", f"{media_stack['KINDRED_API_URL']}/exports/nosuchexport1")
    assert status == 404
