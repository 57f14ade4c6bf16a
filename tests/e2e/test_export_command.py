"""`kindred export` then `kindred pull` as a user types them: sizes and durations checked before
anything is sent, then, on one real collection, `--shard-size 1MB --wait --json` gives shards
within the bound that `webdataset` streams back as the collection, and `kindred pull EXPORT_ID
DIR` puts them in DIR, where `webdataset` and Hugging Face `datasets` read exactly the stored
files and sidecars."""

from __future__ import annotations

import gc
import json
import subprocess

import datasets
import pytest
from support.cli import kindred_against
from support.collection import collect
from support.export import (
    SMALL,
    assert_the_collection,
    check_shards,
    fetch,
    read_samples,
    stored_samples,
)  # fmt: skip

from kindred.core.shards import IMAGE_FIELD
from kindred_infra.cli import parse_duration, parse_size

BOUND = 1_000_000


@pytest.fixture(scope="module")
def collected(media_stack) -> dict:
    return collect(media_stack, SMALL["accounts"], SMALL["cap"])


@pytest.fixture(scope="module")
def exported(media_stack, collected) -> subprocess.CompletedProcess[str]:
    return kindred_against(media_stack, "export", collected["id"], "--shard-size", "1MB",
                           "--wait", "--json")  # fmt: skip


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


def test_export_wait_json_gives_bounded_shards_webdataset_reads_as_the_collection(
    media_stack, collected, exported
):
    assert exported.returncode == 0, exported.stderr
    out = json.loads(exported.stdout)
    assert set(out) == {"id", "shards", "manifest_url"} and len(out["shards"]) >= 3
    assert "exporting" in exported.stderr or "done" in exported.stderr
    check_shards({"shard_bytes": BOUND, "shardlist": out["shards"]})
    samples = read_samples([shard["url"] for shard in out["shards"]])
    assert_the_collection(samples, stored_samples(media_stack, collected))
    stored = json.loads(fetch(out["manifest_url"]))
    assert stored["export"] == out["id"] and stored["totals"]["shards"] == len(out["shards"])


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pull_by_export_id_gives_a_folder_webdataset_and_datasets_read_as_the_collection(
    media_stack, collected, exported, tmp_path
):
    """webdataset 1.0 leaves each local shard's file open once read (collected here, under this
    test's filter). The collection mixes JPEG, PNG and WebP: each sample's file is
    `{key}.image` all the same, so Hugging Face's loader, which wants the same fields in every
    sample, takes the folder as it is."""
    export = json.loads(exported.stdout)
    folder = tmp_path / "data"
    pulled = kindred_against(media_stack, "pull", export["id"], str(folder))
    assert pulled.returncode == 0, pulled.stderr
    shards = [folder / shard["name"] for shard in export["shards"]]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in shards] + ["manifest.json"])  # fmt: skip
    assert all(0 < p.stat().st_size <= BOUND for p in shards)
    assert f"{len(shards)} of {len(shards)} shards" in pulled.stdout
    want = stored_samples(media_stack, collected)
    assert len({ext for _, _, ext in want.values()}) > 1, "the collection has one image type"
    assert_the_collection(read_samples([str(p) for p in shards]), want)
    gc.collect()

    loaded = datasets.load_dataset(
        "webdataset", data_files={"train": [str(p) for p in shards]}, split="train",
        cache_dir=str(tmp_path / "hf"),
    )  # fmt: skip
    rows = {row["__key__"]: row for row in loaded}
    assert_the_collection(
        {key: {IMAGE_FIELD: row[IMAGE_FIELD], "json": row["json"]} for key, row in rows.items()},
        {cid: (data, json.loads(sidecar), ext) for cid, (data, sidecar, ext) in want.items()},
    )
    decoded = loaded.cast_column(IMAGE_FIELD, datasets.Image())  # by content: JPEG, PNG, WebP
    for row in decoded:
        shape = row["json"]["aspect_ratio"]
        assert row[IMAGE_FIELD].size == (shape["width"], shape["height"]), row["__key__"]
