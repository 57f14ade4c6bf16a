"""The aggregation benchmark's pure pieces, at sizes that take milliseconds."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bench import aggregation
from bench.aggregation import Audience, DirBlobs
from kindred.core import tally
from kindred.core.errors import NotFound
from kindred.services.aggregate import FAN_IN

TINY = Audience(follows=20, group=10, pool=500)


def test_the_directory_blob_store_round_trips_and_streams_in_chunks(tmp_path):
    blobs = DirBlobs(tmp_path, chunk_bytes=7)
    data = bytes(range(256)) * 3
    blobs.write("analyses/a/merged/l0-00000.tsv.z", data)
    assert blobs.read("analyses/a/merged/l0-00000.tsv.z") == data
    chunks = list(blobs.stream("analyses/a/merged/l0-00000.tsv.z"))
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) == 7


def test_the_directory_blob_store_raises_not_found(tmp_path):
    blobs = DirBlobs(tmp_path)
    with pytest.raises(NotFound):
        blobs.read("missing")
    with pytest.raises(NotFound):
        list(blobs.stream("missing"))


def test_account_ids_look_like_dids_and_never_collide():
    ids = [raw.decode() for raw in aggregation.account_ids(range(20_000))]
    assert all(re.fullmatch(r"did:plc:[a-z2-7]{24}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids[0] == aggregation.target_id()


def test_a_group_run_is_a_sorted_tally_of_its_followers_distinct_follows():
    pairs = aggregation.group_run(TINY, 3)
    keys = [key for key, _ in pairs]
    assert keys == sorted(set(keys))
    assert sum(count for _, count in pairs) == TINY.group * TINY.follows
    assert max(count for _, count in pairs) == TINY.group  # the target, followed by all
    assert dict(pairs)[aggregation.target_id()] == TINY.group
    assert pairs == aggregation.group_run(TINY, 3)  # the same seed, the same page


def test_written_groups_are_runs_in_the_pipeline_format(tmp_path):
    aggregation.write_groups(tmp_path, TINY, range(2), workers=1)
    stored = DirBlobs(tmp_path).read(aggregation.part_name(1))
    assert stored == tally.write_run(aggregation.group_run(TINY, 1))
    assert tally.decode(stored) == Counter(dict(aggregation.group_run(TINY, 1)))


def test_both_contenders_pick_the_same_candidates_past_one_merge_level(tmp_path):
    groups = FAN_IN + 6  # more parts than one merge takes: intermediate runs are written
    aggregation.write_groups(tmp_path, TINY, range(groups), workers=1)
    blobs = DirBlobs(tmp_path, chunk_bytes=64)
    ours, _ = aggregation.merge_with_parts(blobs, groups)
    theirs, accounts = aggregation.merge_with_counter(blobs, groups)
    assert ours == theirs
    assert len(ours) == aggregation.TOP
    assert accounts is not None and accounts > aggregation.TOP
    assert aggregation.target_id() not in {p.id for p in ours}
    assert (tmp_path / "analyses").is_dir()


def test_compare_raises_when_the_top_lists_differ():
    ours = {"top": [["a", 3], ["b", 2]]}
    aggregation.compare(1_000_000, ours, {"top": [["a", 3], ["b", 2]]})
    with pytest.raises(AssertionError, match="first differences"):
        aggregation.compare(1_000_000, ours, {"top": [["a", 3], ["c", 2]]})


def test_a_worker_measures_one_contender_in_its_own_process(tmp_path):
    aggregation.write_groups(tmp_path, TINY, range(3), workers=1)
    result = aggregation.measure("counter", tmp_path, 3)
    theirs, _ = aggregation.merge_with_counter(DirBlobs(tmp_path), 3)
    assert result["top"] == [[p.id, p.overlap] for p in theirs]
    assert result["peak_kib"] >= result["start_kib"] > 0
    assert result["seconds"] > 0
