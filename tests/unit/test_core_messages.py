"""Step messages: frozen values read whole or refused with a reason, and the pipeline's table."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.fakes import World
from support.walk import deliver_all
from test_pipeline_logic import random_graph

from kindred.core.cost import Meter
from kindred.core.media import CollectOptions, MediaImage
from kindred.core.messages import (
    KINDS,
    Aggregate,
    BadMessage,
    CheckAccount,
    Decide,
    Delivery,
    Estimate,
    FetchBlob,
    FetchProfiles,
    FinishExport,
    LookupFollows,
    PageFollowers,
    PlanExport,
    Rank,
    RankInterim,
    ReadCandidate,
    ReadFollows,
    ReadMedia,
    SampleFollowers,
    SendMail,
    StartCollection,
    WriteShard,
    from_dict,
)
from kindred.core.options import AnalysisOptions
from kindred.core.pagination import PageState
from kindred.services import pipeline
from kindred.services.submit import submit

EXAMPLES = [
    PageFollowers(analysis="a1", provider="local", target="did:x", options=AnalysisOptions(),
                  group=3, page=PageState("c", 2, 200, ("ab",)), cost=Meter(upstream_calls=4)),
    ReadFollows(analysis="a1", provider="bluesky", options=AnalysisOptions(results=7), group=1,
                followers=("did:a", "did:b"), index=1, tally="eJw=", parts=("p/0",), counted=1,
                skipped={"private": 2}, delivery=Delivery(3, "t-1")),
    RankInterim(analysis="a1", reached=7, cost=Meter(firestore_reads=2, tasks=1)),
    LookupFollows(analysis="a1", provider="local", options=AnalysisOptions(max_age=60), group=2,
                  followers=("did:a", "did:a"), skipped={"invalid_id": 1}),
    ReadFollows(analysis="a1", provider="local", options=AnalysisOptions(), group=2,
                followers=("did:c",), page=PageState("c", 1, 100), reused=7,
                listing="eJwDAAAAAAE="),
    Aggregate(analysis="a1"),
    FetchProfiles(analysis="a1", provider="local", batch=2),
    Rank(analysis="a1", batches=12, cost=Meter(tasks=9)),
    ReadFollows(analysis="a1", provider="local", options=AnalysisOptions(score="weighted"),
                group=0, followers=("did:a",), pending="eJw=", pending_parts=("q/0",)),
    SampleFollowers(analysis="a1", provider="local", options=AnalysisOptions(mode="fast"),
                    round=2, low=10_000, high=20_000, pages=40, group=3, verified=1, page=50,
                    carried=("did:a",)),
    Estimate(analysis="a1", round=3, final=True),
    Decide(analysis="a1", round=1, batches=12),
    ReadCandidate(analysis="a1", provider="local", candidate="did:c", index=4, round=2,
                  cap=600, page=PageState("c", 1, 100), seen="AAAA", parts=("s/0",)),
]  # fmt: skip


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: m.STEP)
def test_a_message_reads_back_as_itself(message):
    body = message.to_dict()
    assert body["v"] == 1 and body["step"] == message.STEP
    assert from_dict(message.STEP, body) == message


def test_a_chain_in_flight_from_before_reuse_reads_on_without_it_mid_list():
    body = EXAMPLES[1].to_dict()
    for key in ("reused", "listing"):
        del body[key]
    del body["options"]["max_age"]
    message = from_dict("follows", body)
    assert (message.reused, message.listing) == (0, None)  # this list is not stored
    assert message.options == AnalysisOptions(results=7)  # the default max_age


def test_a_payload_from_before_versions_is_read_with_its_wait_bookkeeping():
    old = {"analysis": "a1", "provider": "local", "batch": 2, "cost": {"tasks": 1},
           "waits": 2, "task_base": "a1-profiles-2"}  # fmt: skip
    message = from_dict("profiles", old)
    assert message == FetchProfiles(
        analysis="a1", provider="local", batch=2, cost=Meter(tasks=1),
        delivery=Delivery(2, "a1-profiles-2"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("step", "body", "says"),
    [
        ("shuffle", {}, "no step 'shuffle'"),
        ("rank", [], "must be a JSON object"),
        ("rank", None, "must be a JSON object"),
        ("rank", {"v": 2, "analysis": "a"}, "version 2"),
        ("rank", {"v": 1, "step": "aggregate", "analysis": "a"}, "delivered to the rank step"),
        ("rank", {"v": 1, "batches": 3}, "without 'analysis'"),
        ("rank", {"analysis": "a", "batches": "3"}, "'batches' is wrong"),
        ("rank", {"analysis": "a", "batches": True}, "'batches' is wrong"),
        ("follows", {**EXAMPLES[1].to_dict(), "followers": "did:a"}, "'followers' is wrong"),
        ("follows", {**EXAMPLES[1].to_dict(), "skipped": {"x": "1"}}, "'skipped' is wrong"),
        (
            "follows",
            {**EXAMPLES[1].to_dict(), "options": {**AnalysisOptions().as_dict(), "mode": "slow"}},
            "'options' is wrong",
        ),
        ("estimate", {"analysis": "a", "round": 1, "final": 1}, "'final' is wrong"),
        ("followers", {**EXAMPLES[0].to_dict(), "options": {}}, "'options' is wrong"),
        ("interim", {"analysis": "a", "reached": "3"}, "'reached' is wrong"),
        ("interim", {"analysis": "a"}, "without 'reached'"),
    ],
)
def test_what_is_not_a_whole_message_is_refused_with_what_is_wrong(step, body, says):
    with pytest.raises(BadMessage, match=says):
        from_dict(step, body)


def test_every_kind_of_message_has_a_step_and_says_what_it_hands_on():
    assert set(pipeline.STEPS) == set(KINDS.values()) == set(pipeline.HANDS_ON)


def test_a_whole_analysis_hands_on_only_what_the_table_says():
    world = World(random_graph(5))
    submit(world.deps(), "a0", "local", AnalysisOptions(top_candidates=9, results=5))
    seen = deliver_all(world)
    media = {StartCollection, ReadMedia, FetchBlob, CheckAccount}  # tests/unit/test_collect.py
    exports = {PlanExport, WriteShard, FinishExport}  # tests/integration/test_export.py
    mail = {SendMail}  # tests/unit/test_mail_step.py
    fast = {SampleFollowers, Estimate, Decide, ReadCandidate}  # tests/unit/test_fast_pipeline.py
    assert seen == set(KINDS.values()) - media - exports - mail - fast


IMAGE = MediaImage("bafkreiabc", "image/jpeg", 10, "at://did:plc:x/p/1", "2024-01-01T00:00:00Z",
                   "did:plc:x", "x.test", "", 4, 3)  # fmt: skip
PDS = "https://morel.us-east.host.bsky.network"


@pytest.mark.parametrize(
    "message",
    [
        ReadMedia(analysis="c1", provider="bluesky", account="x.test", index=2,
                  options=CollectOptions(7), did="did:plc:x", pds=PDS),
        FetchBlob(analysis="c1", provider="bluesky-blobs", source="bluesky", index=2,
                  image=IMAGE, pds=PDS),
    ],
    ids=lambda m: m.STEP,
)  # fmt: skip
def test_the_accounts_pds_rides_in_the_media_messages_and_older_ones_read_without_it(message):
    body = message.to_dict()
    assert body["pds"] == PDS and from_dict(message.STEP, body) == message
    older = {key: value for key, value in body.items() if key != "pds"}  # before the field
    assert from_dict(message.STEP, older) == replace(message, pds="")
    with pytest.raises(BadMessage, match="'pds' is wrong"):
        from_dict(message.STEP, {**body, "pds": 443})
