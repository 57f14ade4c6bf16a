"""Exports on a real stack: submit one, wait for it, and read its shards back as a training job
would (the manifest's URLs, plain HTTP, the real `webdataset` reader)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
import urllib.request
from typing import Any

import webdataset

from kindred.core.shards import IMAGE_FIELD
from support.api import call
from support.stack import bucket

SMALL = {"accounts": ["u71391606.ego-twitter.test", "u626373.ego-twitter.test"], "cap": 8}


def submit_export(env: dict[str, str], collection: str, **body: Any) -> tuple[int, dict]:
    return call(
        "POST", f"{env['KINDRED_API_URL']}/collections/{collection}/exports", body,
        {"Authorization": f"Bearer {env['KINDRED_API_KEY']}"},
    )  # fmt: skip


def export_done(env: dict[str, str], export: str, timeout: float = 120) -> dict:
    """The export's status once done; fails with the last status if it fails or never ends."""
    deadline, report = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        report = call("GET", f"{env['KINDRED_API_URL']}/exports/{export}")[1]
        assert report["status"] != "failed", report
        if report["status"] == "done":
            return report
        time.sleep(0.2)
    raise AssertionError(f"export {export} not done in {timeout:.0f} s; last status: {report}")


def export(env: dict[str, str], collection: str, **body: Any) -> dict:
    """Export, wait, and return the manifest as the API serves it."""
    status, made = submit_export(env, collection, **body)
    assert status == 202, made
    export_done(env, made["id"])
    status, manifest = call("GET", f"{env['KINDRED_API_URL']}/exports/{made['id']}/manifest")
    assert status == 200, manifest
    return manifest


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def check_shards(manifest: dict) -> dict[str, bytes]:
    """Every shard fetched from its URL: its size and digests as the manifest says, within the
    bound unless it says oversize; {name: bytes}."""
    shards = {}
    for shard in manifest["shardlist"]:
        data = fetch(shard["url"])
        assert len(data) == shard["filesize"], shard["name"]
        assert hashlib.sha256(data).hexdigest() == shard["sha256"], shard["name"]
        assert hashlib.md5(data).hexdigest() == shard["md5"], shard["name"]
        assert shard["oversize"] or len(data) <= manifest["shard_bytes"], shard
        shards[shard["name"]] = data
    return shards


def read_samples(urls: list[str]) -> dict[str, dict[str, bytes]]:
    """{key: {extension: bytes}} as `webdataset` streams the shards from their URLs."""
    samples = {}
    for sample in webdataset.WebDataset(urls, shardshuffle=False, empty_check=False):
        key = sample["__key__"]
        assert key not in samples, f"{key} in two samples"
        samples[key] = {k: v for k, v in sample.items() if not k.startswith("__")}
    return samples


def stored_samples(env: dict[str, str], result: dict) -> dict[str, tuple[bytes, bytes, str]]:
    """{cid: (file bytes, sidecar bytes as stored, extension)} of a finished collection."""
    out = {}
    for account in result["accounts"]:
        if account["status"] != "done" or not account["images"]:
            continue
        for blob in bucket(env).list_blobs(prefix=f"media/local/{account['did']}/"):
            cid, _, ext = blob.name.rsplit("/", 1)[1].partition(".")
            if ext != "json":
                sidecar = bucket(env).blob(blob.name.rsplit(".", 1)[0] + ".json")
                out[cid] = (blob.download_as_bytes(), sidecar.download_as_bytes(), ext)
    return out


def assert_the_collection(samples: dict[str, dict[str, bytes]],
                          want: dict[str, tuple[bytes, bytes, str]]) -> None:  # fmt: skip
    """The samples are exactly the stored files and sidecars (`stored_samples`), byte for byte:
    one per CID, each its `{key}.image` (the original bytes, of any type) and `{key}.json`."""
    assert {key.rsplit("_", 1)[1] for key in samples} == set(want)
    for key, sample in samples.items():
        data, sidecar, _ = want[key.rsplit("_", 1)[1]]
        assert "." not in key and set(sample) == {IMAGE_FIELD, "json"}, (key, set(sample))
        assert sample[IMAGE_FIELD] == data and sample["json"] == sidecar, key


def members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        return tar.getmembers()


def sidecar_of(sample: dict[str, bytes]) -> dict:
    return json.loads(sample["json"])
