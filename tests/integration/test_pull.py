"""`kindred pull` against the real Storage emulator, through a counting forward proxy: shards
byte-identical to the bucket's, each byte fetched once across a SIGKILL, nothing fetched for a
complete folder, a corrupted shard fetched again, a cut connection and a server that ignores
Range both mended."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.cli import KINDRED, kindred_against, kindred_env
from support.proxy import counting_proxy
from support.shards import Export, samples, upload

from kindred_infra.pull import CHUNK

SHARDS = 3


@pytest.fixture(scope="module")
def export(local_stack: dict[str, str]) -> Export:
    """Three shards of 8 samples of 60 kB (about 490 kB each) and their manifest, in the bucket."""
    return upload(local_stack, "pulltest", samples(SHARDS * 8, 60_000, seed=1), per_shard=8)


def pull(stack, proxy, *args: str) -> subprocess.CompletedProcess[str]:
    return kindred_against(stack, "pull", *args, "--json", extra_env=proxy.env())


def summary_of(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_identical(folder: Path, export: Export) -> None:
    for name, data in export.shards.items():
        assert (folder / name).read_bytes() == data, name
    assert json.loads((folder / "manifest.json").read_text()) == export.manifest
    assert not list(folder.glob("*.part"))


def test_a_pull_from_the_manifest_url_then_again_fetches_each_shard_once(
    local_stack, export, tmp_path
):
    with counting_proxy() as proxy:
        first = summary_of(pull(local_stack, proxy, export.manifest_url, str(tmp_path)))
        assert_identical(tmp_path, export)
        total = sum(map(len, export.shards.values()))
        assert first["bytes_fetched"] == total == export.manifest["totals"]["bytes"]
        assert (first["downloaded"], first["verified"], first["sha256_checked"]) == (3, 3, 3)
        for name, data in export.shards.items():
            [passed] = proxy.requests(name)
            assert (passed.status, passed.range, passed.body_bytes) == (200, None, len(data))

        again = summary_of(pull(local_stack, proxy, export.manifest_url, str(tmp_path)))
        assert (again["skipped"], again["verified"], again["bytes_fetched"]) == (3, 3, 0)
        assert again["sha256_checked"] == 3
        assert len(proxy.requests()) == 1 + SHARDS + 1  # the second pull: its manifest only
        assert_identical(tmp_path, export)


def test_a_pull_from_a_manifest_file_of_a_complete_folder_sends_no_request(
    local_stack, export, tmp_path
):
    given = export.save(tmp_path)
    folder = tmp_path / "data"
    with counting_proxy() as proxy:
        summary_of(pull(local_stack, proxy, str(given), str(folder)))
        assert len(proxy.requests()) == SHARDS
        again = summary_of(pull(local_stack, proxy, str(folder / "manifest.json"), str(folder)))
        assert again["skipped"] == SHARDS and len(proxy.requests()) == SHARDS


def test_a_pull_killed_mid_shard_resumes_and_fetches_each_byte_once(local_stack, export, tmp_path):
    """A proxy paced at 150 kB/s a shard keeps each transfer a few seconds long, so the kill
    lands mid-shard however loaded the machine is; the second run must ask each shard from the
    .part's last byte and fetch exactly the rest."""
    with counting_proxy(rate=150_000) as slow:
        killed = subprocess.Popen(
            [str(KINDRED), "pull", export.manifest_url, str(tmp_path), "--parallel", "4"],
            env=kindred_env(local_stack, slow.env()),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        parts = [tmp_path / f"{name}.part" for name in export.shards]
        deadline = time.monotonic() + 60
        while not all(p.exists() and p.stat().st_size >= 100_000 for p in parts):
            assert killed.poll() is None and time.monotonic() < deadline, "no .part grew"
            time.sleep(0.02)
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        before = {p.name.removesuffix(".part"): p.stat().st_size for p in parts}
        passed_before = {name: slow.body_bytes(name) for name in export.shards}
    assert all(0 < before[name] < len(data) for name, data in export.shards.items()), before
    assert not any((tmp_path / name).exists() for name in export.shards)

    with counting_proxy() as proxy:
        summary = summary_of(pull(local_stack, proxy, export.manifest_url, str(tmp_path)))
        assert_identical(tmp_path, export)
        assert (summary["resumed"], summary["downloaded"], summary["restarts"]) == (3, 0, 0)
        for name, data in export.shards.items():
            [resumed] = proxy.requests(name)
            assert resumed.range == f"bytes={before[name]}-"
            assert (resumed.status, resumed.body_bytes) == (206, len(data) - before[name])
    # Fetched twice: only what was in flight at the kill (the last unwritten read of each).
    again = {name: passed_before[name] - before[name] for name in export.shards}
    assert all(0 <= extra <= CHUNK + 64 * 1024 for extra in again.values()), again


def test_a_corrupted_complete_shard_is_fetched_again(local_stack, export, tmp_path):
    with counting_proxy() as proxy:
        summary_of(pull(local_stack, proxy, export.manifest_url, str(tmp_path)))
        name, data = next(iter(export.shards.items()))
        spoiled = bytearray(data)
        spoiled[len(spoiled) // 2] ^= 0xFF  # same size: only the sha256 can tell
        (tmp_path / name).write_bytes(bytes(spoiled))
        summary = summary_of(pull(local_stack, proxy, export.manifest_url, str(tmp_path)))
        assert (summary["mismatches"], summary["downloaded"], summary["skipped"]) == (1, 1, 2)
        assert summary["bytes_fetched"] == len(data)
        assert_identical(tmp_path, export)


def test_a_cut_connection_is_retried_from_the_part(local_stack, export, tmp_path):
    name, data = next(iter(export.shards.items()))
    with counting_proxy(cut_after=200_000) as proxy:
        summary = summary_of(
            pull(local_stack, proxy, export.manifest_url, str(tmp_path), "--parallel", "1")
        )
        assert_identical(tmp_path, export)
        assert summary["retries"] == 1
        cut, resumed = proxy.requests(name)
        assert cut.cut and cut.body_bytes <= 200_000
        offset = int(resumed.range.removeprefix("bytes=").removesuffix("-"))
        assert 0 < offset <= cut.body_bytes
        assert resumed.body_bytes == len(data) - offset


def test_a_server_that_ignores_range_restarts_the_shard_cleanly(local_stack, export, tmp_path):
    name, data = next(iter(export.shards.items()))
    (tmp_path / f"{name}.part").write_bytes(data[:100_000])
    with counting_proxy(ignore_range=True) as proxy:
        summary = summary_of(pull(local_stack, proxy, export.manifest_url, str(tmp_path)))
        assert_identical(tmp_path, export)
        assert (summary["resumed"], summary["restarts"]) == (1, 1)
        [whole] = proxy.requests(name)
        assert (whole.range, whole.status, whole.body_bytes) == ("bytes=100000-", 200, len(data))


def test_a_shard_that_never_matches_fails_by_name_after_one_fetch_again(
    local_stack, export, tmp_path
):
    wrong = json.loads(json.dumps(export.manifest))
    wrong["shardlist"][1]["sha256"] = "0" * 64
    given = tmp_path / "wrong.json"
    given.write_text(json.dumps(wrong))
    name = wrong["shardlist"][1]["name"]
    with counting_proxy() as proxy:
        failed = kindred_against(
            local_stack, "pull", str(given), str(tmp_path / "d"), extra_env=proxy.env()
        )
        assert len(proxy.requests(name)) == 2
    assert failed.returncode == 1
    assert f"FAILED {name}: its sha256 differs" in failed.stdout
    assert f"1 of 3 shards failed ({name})" in failed.stderr
    assert not (tmp_path / "d" / name).exists()
    assert (tmp_path / "d" / wrong["shardlist"][0]["name"]).exists()


def test_an_unknown_export_id_is_asked_of_the_api_and_refused_by_name(local_stack, tmp_path):
    refused = kindred_against(local_stack, "pull", "no-such-export", str(tmp_path))
    assert refused.returncode == 1
    assert "export no-such-export:" in refused.stderr and "HTTP 404" in refused.stderr
