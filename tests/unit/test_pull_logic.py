"""The pull's pure rules: which manifests it takes, what it does given the disk, what an HTTP
answer means for a .part, and what the summary says."""

from __future__ import annotations

from pathlib import Path

import pytest

from kindred_infra import render
from kindred_infra.pull import (
    Answer,
    Outcome,
    PullError,
    Shard,
    Source,
    Step,
    answer,
    plan,
    range_header,
    read_shards,
    refusal,
    report,
    source_kind,
    summarize,
)

DIGEST = "a" * 64
SHARD = Shard("kindred-c-000000.tar", "http://h/o", 1000, DIGEST)


def entry(**changes: object) -> dict:
    base = {"name": "kindred-c-000000.tar", "url": "http://h/o", "filesize": 1000, "sha256": DIGEST}
    return {**base, **changes}


def test_the_shardlist_becomes_shards_in_its_order():
    second = entry(name="kindred-c-000001.tar", url="https://h/p", filesize=0)
    shards = read_shards({"shardlist": [entry(), second]})
    assert shards == [SHARD, Shard("kindred-c-000001.tar", "https://h/p", 0, DIGEST)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "../escape.tar"}, "shardlist[0].name"),
        ({"name": "sub/dir.tar"}, "shardlist[0].name"),
        ({"name": "manifest.json"}, "shardlist[0].name"),
        ({"name": "x.tar.part"}, "shardlist[0].name"),
        ({"url": "file:///etc/passwd"}, "shardlist[0].url"),
        ({"filesize": -1}, "shardlist[0].filesize"),
        ({"filesize": "1000"}, "shardlist[0].filesize"),
        ({"filesize": True}, "shardlist[0].filesize"),
        ({"sha256": "A" * 64}, "shardlist[0].sha256"),
        ({"sha256": None}, "shardlist[0].sha256"),
    ],
)
def test_a_bad_entry_is_refused_naming_its_field(changes, field):
    with pytest.raises(PullError, match=field.replace("[", r"\[").replace("]", r"\]")):
        read_shards({"shardlist": [entry(**changes)]})


def test_a_repeated_name_and_a_missing_shardlist_are_refused():
    with pytest.raises(PullError, match=r"shardlist\[1\].name"):
        read_shards({"shardlist": [entry(), entry()]})
    with pytest.raises(PullError, match="shardlist"):
        read_shards({"shards": []})
    with pytest.raises(PullError, match=r"shardlist\[0\] is not an object"):
        read_shards({"shardlist": ["x"]})


def test_the_source_is_a_url_a_file_or_an_export_id():
    assert source_kind("https://storage/x/manifest.json?sig=1", False) is Source.URL
    assert source_kind("http://127.0.0.1:9/m", True) is Source.URL
    assert source_kind("data/manifest.json", True) is Source.FILE
    assert source_kind("f3c2a9_B-7", False) is Source.EXPORT
    with pytest.raises(PullError, match="not an export id"):
        source_kind("no/such/manifest.json", False)


@pytest.mark.parametrize(
    ("done", "part", "expected"),
    [
        (None, None, (Step.FETCH, 0)),
        (1000, None, (Step.VERIFY, 1000)),  # whole: hash it, no download when right
        (1000, 400, (Step.VERIFY, 1000)),  # a stale .part beside a whole shard
        (None, 400, (Step.RESUME, 400)),
        (None, 1000, (Step.RESUME, 1000)),  # all there but not yet checked
        (None, 0, (Step.FETCH, 0)),
        (None, 1001, (Step.FETCH, 0)),  # longer than the shard: start over
        (999, None, (Step.FETCH, 0)),  # a whole file of the wrong size is not the shard
        (999, 300, (Step.RESUME, 300)),
    ],
)
def test_what_the_disk_asks_for(done, part, expected):
    assert plan(SHARD, done, part) == expected


def test_a_range_is_asked_only_past_the_first_byte():
    assert range_header(0) == {}
    assert range_header(4096) == {"Range": "bytes=4096-"}


@pytest.mark.parametrize(
    ("status", "content_range", "offset", "expected"),
    [
        (206, "bytes 400-999/1000", 400, Answer.APPEND),
        (206, "bytes 400-999/*", 400, Answer.APPEND),
        (206, "bytes 0-999/1000", 400, Answer.START_OVER),  # not the range asked for
        (206, "bytes 400-1099/1100", 400, Answer.START_OVER),  # the object is not the shard
        (206, None, 400, Answer.START_OVER),
        (200, None, 400, Answer.RESTART),  # Range ignored: the whole body comes
        (200, None, 0, Answer.RESTART),
        (416, "bytes */1000", 400, Answer.START_OVER),
        (503, None, 400, Answer.RETRY),
        (500, None, 0, Answer.RETRY),
        (429, None, 0, Answer.RETRY),
        (408, None, 0, Answer.RETRY),
        (403, None, 0, Answer.FAIL),
        (404, None, 0, Answer.FAIL),
    ],
)
def test_what_an_answer_means_for_the_part(status, content_range, offset, expected):
    assert answer(status, content_range, offset, 1000) is expected


def test_a_refusal_says_what_to_do():
    assert "expired (urls_expire: 2026-12-09T19:00:00Z)" in refusal(
        SHARD, 403, "2026-12-09T19:00:00Z"
    )
    assert "by export id" in refusal(SHARD, 403, None)
    assert "export the collection again" in refusal(SHARD, 404, None)


def outcomes() -> list[Outcome]:
    return [
        Outcome("a", 1000, "skipped", hashed=1),
        Outcome("b", 1000, "downloaded", bytes_fetched=1000, hashed=2, mismatches=1),
        Outcome("c", 1000, "resumed", bytes_fetched=600, hashed=1, retries=2, restarts=1),
        Outcome("d", 500, "downloaded", bytes_fetched=10, error="HTTP 403 at its URL"),
    ]


def test_the_summary_counts_each_shards_outcome():
    summary = summarize(Path("data"), outcomes(), 2.0)
    assert (summary.shards, summary.bytes, summary.verified, summary.failed) == (4, 3500, 3, 1)
    assert (summary.downloaded, summary.resumed, summary.skipped) == (1, 1, 1)
    assert (summary.bytes_fetched, summary.sha256_checked, summary.bytes_checked) == (
        1610,
        4,
        4000,
    )
    assert (summary.mismatches, summary.restarts, summary.retries) == (1, 1, 2)
    assert summary.errors == {"d": "HTTP 403 at its URL"}
    assert summary.as_dict()["errors"] == {"d": "HTTP 403 at its URL"}


def test_the_report_says_what_was_checked_and_what_failed():
    text = "\n".join(report(summarize(Path("data"), outcomes(), 2.0), render.size))
    assert "3 of 4 shards (3.5 kB) in data, each matching the manifest's sha256" in text
    assert "1 downloaded, 1 resumed from a .part, 1 already there (no download)" in text
    assert "1.6 kB fetched in 2.0 s (805 B/s); sha256 checked 4 times over 4.0 kB" in text
    assert "1 sha256 mismatch: fetched again from the start" in text
    assert "2 connection error or 5xx: retried from the .part" in text
    assert "FAILED d: HTTP 403 at its URL" in text


def test_a_clean_report_has_no_retry_lines():
    lines = report(summarize(Path("d"), [Outcome("a", 10, "skipped", hashed=1)], 0.0), render.size)
    assert len(lines) == 3
    assert "0 B fetched in 0.0 s (0 B/s)" in lines[2]
