"""The export's plan: exact tar sizes (checked against what tarfile writes), the bound, an
oversize file alone, dot-free unique keys, a deterministic order and split by account."""

from __future__ import annotations

import hashlib
import io
import itertools
import random
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindred.core import shards
from kindred.core.shards import Sample

CID = "bafkreia" + "q" * 52


def sample(i: int, size: int, handle: str = "alice.bsky.social", did: str = "did:plc:a",
           sidecar: int = 300) -> Sample:  # fmt: skip
    cid = f"{CID[:-6]}{i:06d}"
    return Sample(shards.sample_key(handle, did, cid), "jpg", f"media/local/{did}/{cid}.jpg",
                  size, f"media/local/{did}/{cid}.json", sidecar, did)  # fmt: skip


def written(group: tuple[Sample, ...], when: int = 1_700_000_000) -> bytes:
    """The shard as tarfile writes it, members filled with their sizes' worth of bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=shards.TAR_FORMAT) as tar:
        for one in group:
            for name, size in one.members:
                tar.addfile(shards.member_info(name, size, when), io.BytesIO(b"\xff" * size))
    return out.getvalue()


def test_the_predicted_size_is_what_tarfile_writes_byte_for_byte():
    rng = random.Random(7)
    handles = ["a.b", "x" * 120 + ".example.com", "ünï.example", "bob.test"]
    group = tuple(sample(i, rng.randrange(0, 40_000), rng.choice(handles),
                         sidecar=rng.randrange(1, 2_000)) for i in range(60))  # fmt: skip
    members = sum(shards.sample_bytes(one) for one in group)
    assert len(written(group)) == shards.tar_bytes(members)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3 * 512 + 7), min_size=1, max_size=6),
       st.integers(0, shards.MAX_MTIME))  # fmt: skip
def test_a_header_depends_on_the_name_and_size_never_the_time(sizes, when):
    group = tuple(sample(i, size) for i, size in enumerate(sizes))
    assert len(written(group, when)) == shards.tar_bytes(sum(map(shards.sample_bytes, group)))


def test_every_shard_is_within_the_bound_and_a_larger_file_is_alone_and_flagged():
    bound = 1_000_000
    group = [sample(i, 150_000) for i in range(20)]
    group.insert(7, sample(99, 2_500_000))
    packed = shards.pack(group, bound)
    for members, size, oversize in packed:
        assert size == len(written(members))
        assert oversize == (size > bound)
        assert size <= bound or len(members) == 1
    big = [p for p in packed if p[2]]
    assert len(big) == 1 and big[0][0] == (group[7],)
    assert [s for members, _, _ in packed for s in members] == group  # order kept, none lost


def test_a_shard_is_filled_as_far_as_the_next_sample_would_pass_the_bound():
    group = [sample(i, 100_000) for i in range(30)]
    packed = shards.pack(group, 1_000_000)
    for (members, size, _), (after, _, _) in itertools.pairwise(packed):
        fuller = shards.tar_bytes(sum(map(shards.sample_bytes, (*members, after[0]))))
        assert size <= 1_000_000 < fuller


def test_the_archive_is_padded_to_a_whole_record():
    assert shards.tar_bytes(0) == tarfile.RECORDSIZE
    assert shards.tar_bytes(tarfile.RECORDSIZE - 1024) == tarfile.RECORDSIZE
    assert shards.tar_bytes(tarfile.RECORDSIZE - 1023) == 2 * tarfile.RECORDSIZE


def test_members_carry_fixed_metadata():
    data = written((sample(1, 10),), when=1_234_567_890)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for info in tar.getmembers():
            assert (info.mode, info.uid, info.gid, info.uname, info.gname) == (0o444, 0, 0, "", "")
            assert info.mtime == 1_234_567_890 and info.isreg()


def test_keys_have_no_dot_and_stay_unique():
    key = shards.sample_key("alice.bsky.social", "did:plc:x", CID)
    assert key == f"alice_bsky_social_{CID}" and "." not in key
    assert shards.sample_key(None, "did:plc:x", CID) == f"did_plc_x_{CID}"
    twins = [sample(1, 5, "a-b.c"), sample(1, 5, "a-b.c", did="did:plc:b"), sample(1, 5, "a-b.c")]
    keys = [one.key for one in shards.unique_keys(twins)]
    assert len(set(keys)) == 3 and all("." not in key for key in keys)
    assert keys[0] == twins[0].key and keys[1] == f"{twins[0].key}_2"


def test_a_post_time_is_an_mtime_within_the_field():
    assert shards.mtime("2024-05-01T12:00:00.000Z") == 1_714_564_800
    assert shards.mtime("1960-01-01T00:00:00Z") == 0
    assert shards.mtime("not a time") == shards.mtime(None) == 0
    assert shards.mtime("9999-01-01T00:00:00Z") == shards.MAX_MTIME


def accounts(n: int, each: int) -> list[Sample]:
    return [sample(a * 100 + i, 1000, f"u{a}.test", f"did:plc:{a}")
            for a in range(n) for i in range(each + a % 3)]  # fmt: skip


def test_the_validation_split_shares_no_account_is_near_its_share_and_deterministic():
    group = accounts(20, 10)
    train, validation = shards.split_accounts(group, 0.2, "col1")
    assert {s.account for s in train}.isdisjoint({s.account for s in validation})
    assert sorted(train + validation, key=group.index) == group
    assert abs(len(validation) - 0.2 * len(group)) <= 12  # within one account's samples
    assert shards.split_accounts(group, 0.2, "col1") == (train, validation)
    shuffled = shards.split_accounts(group, 0.2, "col2")[1]
    assert {s.account for s in shuffled} != {s.account for s in validation}  # seeded per collection


def test_no_share_no_split_and_two_accounts_always_give_one_each():
    group = accounts(2, 10)
    assert shards.split_accounts(group, 0.0, "c") == (group, [])
    train, validation = shards.split_accounts(group, 0.01, "c")
    assert len({s.account for s in validation}) == 1 and train


def test_the_plan_names_shards_per_split_and_is_the_same_each_time():
    group = accounts(6, 8)
    plan = shards.plan("col1", group, 1_000_000, 0.0)
    assert [s.name for s in plan] == ["kindred-col1-000000.tar"] and plan[0].split == "train"
    split = shards.plan("col1", group, 10_000 * 3, 0.3)
    names = [s.name for s in split]
    assert names[0] == "kindred-col1-train-000000.tar"
    assert any(name == "kindred-col1-validation-000000.tar" for name in names)
    assert split == shards.plan("col1", group, 10_000 * 3, 0.3)
    assert [shards.Shard.from_dict(s.to_dict()) for s in split] == split


def test_the_manifest_lists_shards_train_first_with_splits_and_totals():
    export = {"id": "e1", "collection": "c1", "format": "webdataset", "shard_bytes": 10**6,
              "created": "2026-12-02T19:00:00Z", "validation_share": 0.5}  # fmt: skip

    def record(name, split, n, accounts):
        digest = hashlib.sha256(name.encode()).hexdigest()
        return {"name": name, "split": split, "nsamples": n, "filesize": n * 1000,
                "sha256": digest, "md5": digest[:32], "oversize": False,
                "accounts": accounts}  # fmt: skip

    records = [record("kindred-c1-validation-000000.tar", "validation", 3, ["d3"]),
               record("kindred-c1-train-000001.tar", "train", 4, ["d1", "d2"]),
               record("kindred-c1-train-000000.tar", "train", 5, ["d1"])]  # fmt: skip
    urls = {r["name"]: f"http://x/{r['name']}" for r in records}
    doc = shards.manifest(export, records, urls, None)
    assert [s["name"] for s in doc["shardlist"]] == [
        "kindred-c1-train-000000.tar", "kindred-c1-train-000001.tar",
        "kindred-c1-validation-000000.tar",
    ]  # fmt: skip
    assert doc["splits"]["train"] == {
        "pattern": "kindred-c1-train-{000000..000001}.tar", "shards": 2, "samples": 9,
        "bytes": 9000, "accounts": 2,
    }  # fmt: skip
    assert doc["totals"] == {"shards": 3, "samples": 12, "bytes": 12000}
    assert doc["__kind__"] == "wids-shard-index-v1" and doc["wids_version"] == 1
    assert set(doc["shardlist"][0]) == {"name", "split", "url", "nsamples", "filesize",
                                        "sha256", "md5", "oversize"}  # fmt: skip
    fresh = shards.with_urls(doc, {name: "https://signed/" + name for name in urls},
                             "2026-12-09T19:00:00Z")  # fmt: skip
    assert fresh["urls_expire"] == "2026-12-09T19:00:00Z"
    assert all(s["url"].startswith("https://signed/") for s in fresh["shardlist"])
    assert {**fresh, "shardlist": None, "urls_expire": None} == {**doc, "shardlist": None}


@pytest.mark.parametrize("bound", [shards.MIN_SHARD_BYTES, 3_000_000])
def test_shards_of_real_sizes_match_their_plan(bound):
    rng = random.Random(bound)
    group = [sample(i, rng.randrange(20_000, 400_000)) for i in range(25)]
    for members, size, oversize in shards.pack(group, bound):
        assert len(written(members)) == size and not oversize
