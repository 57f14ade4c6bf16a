"""`kindred export` as a user types it: sizes and durations checked before anything is sent,
then `--shard-size 1MB --wait --json` gives shards within the bound that `webdataset` reads
back as the collection."""

from __future__ import annotations

import json

import pytest
from support.cli import kindred_against
from support.collection import collect
from support.export import SMALL, check_shards, fetch, read_samples, stored_samples

from kindred_infra.cli import parse_duration, parse_size


def test_sizes_and_durations_read_as_a_user_writes_them():
    assert [parse_size(t) for t in ("5MB", "350MB", "1GiB", "1000000", "1.5 GB")] == [
        5_000_000, 350_000_000, 2**30, 1_000_000, 1_500_000_000]  # fmt: skip
    assert [parse_duration(t) for t in ("7d", "12h", "90m", "600s", "60")] == [
        604_800, 43_200, 5_400, 600, 60]  # fmt: skip
    for bad in ("", "MB", "5 XB", "-1MB"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_bad_flags_are_refused_by_name_before_anything_is_sent():
    nowhere = {"KINDRED_API_URL": "http://127.0.0.1:9", "KINDRED_API_KEY": "x"}  # never reached
    small = kindred_against(nowhere, "export", "abcdefgh", "--shard-size", "999kB")
    assert small.returncode == 2 and "'--shard-size'" in small.stderr
    long = kindred_against(nowhere, "export", "abcdefgh", "--url-lifetime", "8d")
    assert long.returncode == 2 and "'--url-lifetime'" in long.stderr
    share = kindred_against(nowhere, "export", "abcdefgh", "--validation-share", "0.7")
    assert share.returncode == 2 and "'--validation-share'" in share.stderr


def test_export_wait_json_gives_bounded_shards_webdataset_reads_as_the_collection(media_stack):
    collected = collect(media_stack, SMALL["accounts"], SMALL["cap"])
    run = kindred_against(media_stack, "export", collected["id"], "--shard-size", "1MB",
                          "--wait", "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert set(out) == {"id", "shards", "manifest_url"} and len(out["shards"]) >= 3
    assert "exporting" in run.stderr or "done" in run.stderr
    manifest = {"shard_bytes": 1_000_000, "shardlist": out["shards"]}
    check_shards(manifest)
    samples = read_samples([shard["url"] for shard in out["shards"]])
    want = stored_samples(media_stack, collected)
    assert {key.rsplit("_", 1)[1]: (s["json"]) for key, s in samples.items()} == {
        cid: sidecar for cid, (_, sidecar, _) in want.items()}  # fmt: skip
    stored = json.loads(fetch(out["manifest_url"]))
    assert stored["export"] == out["id"] and stored["totals"]["shards"] == len(out["shards"])
