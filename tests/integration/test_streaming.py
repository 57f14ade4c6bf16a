"""The shards read back with the real readers from PyPI: `webdataset.WebDataset` streaming
straight from the manifest's URLs (the Storage emulator's; no copy on disk), and reading the
pulled folder; Hugging Face `datasets`' `webdataset` loader reading the pulled folder. Each
gives exactly the samples written, byte for byte."""

from __future__ import annotations

import gc
import json

import datasets
import pytest
import webdataset
from support.cli import kindred_against
from support.proxy import counting_proxy
from support.shards import Export, samples, upload

from kindred.core.shards import IMAGE_FIELD


@pytest.fixture(scope="module")
def export(local_stack: dict[str, str]) -> Export:
    return upload(local_stack, "streamtest", samples(10, 30_000, seed=2), per_shard=4)


PADDING = 10_240  # a tar's last record: the end-of-archive blocks and the padding to 10 kB


def expected(export: Export) -> list[tuple[str, bytes, bytes]]:
    return [(s.key, s.image, s.sidecar) for s in export.samples]


def read(urls: list[str]) -> list[tuple[str, bytes, bytes]]:
    """Every sample the WebDataset reader gives for these shards, in order."""
    return [
        (sample["__key__"], sample[IMAGE_FIELD], sample["json"])
        for sample in webdataset.WebDataset(urls, shardshuffle=False, empty_check=True)
    ]


def test_webdataset_streams_the_shards_from_the_manifest_urls(export, monkeypatch, tmp_path):
    """webdataset opens http URLs with `curl`, which honours http_proxy: the proxy counts that
    each shard came over HTTP once (up to its end-of-archive padding, which the reader stops
    before), and nothing was written anywhere."""
    monkeypatch.chdir(tmp_path)
    urls = [shard["url"] for shard in export.manifest["shardlist"]]
    with counting_proxy() as proxy:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        assert read(urls) == expected(export)
        passed = proxy.requests()
        assert [p.url for p in passed] == urls
        for shard, through in zip(export.manifest["shardlist"], passed, strict=True):
            assert shard["filesize"] - PADDING <= through.body_bytes <= shard["filesize"]
    assert not list(tmp_path.iterdir())


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_pulled_folder_reads_back_as_the_samples(local_stack, export, tmp_path):
    """webdataset 1.0 leaves each local shard's file open when it has read it (its
    tar_file_iterator never closes the stream): collected here, under this test's filter."""
    folder = tmp_path / "data"
    pulled = kindred_against(local_stack, "pull", export.manifest_url, str(folder))
    assert pulled.returncode == 0, pulled.stderr
    names = [shard["name"] for shard in export.manifest["shardlist"]]
    assert read([str(folder / name) for name in names]) == expected(export)
    gc.collect()

    files = [str(folder / name) for name in names]
    loaded = datasets.load_dataset(
        "webdataset", data_files={"train": files}, split="train", cache_dir=str(tmp_path / "hf")
    ).cast_column(IMAGE_FIELD, datasets.Image(decode=False))  # the original bytes, undecoded
    rows = [(row["__key__"], row[IMAGE_FIELD]["bytes"], row["json"]) for row in loaded]
    assert rows == [(key, image, json.loads(sidecar)) for key, image, sidecar in expected(export)]
