"""Fault decisions: reproducible for a seed, near the configured share, retries can pass."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from kindred_infra.graph_server.faults import (
    KINDS,
    AttemptCounter,
    Fault,
    FaultPlan,
    malformed,
    parse_kinds,
    server_error,
)

pytestmark = pytest.mark.unit

METHOD = "app.bsky.graph.getFollowers"


def draws(plan: FaultPlan, n: int = 4000) -> list[Fault | None]:
    return [plan.decide(METHOD, f"u{k}.ego-twitter.test", "", 0) for k in range(n)]


def test_same_seed_same_decisions_other_seed_others() -> None:
    plan = FaultPlan(share=0.3, seed=7)
    assert draws(plan) == draws(FaultPlan(share=0.3, seed=7))
    assert draws(plan) != draws(FaultPlan(share=0.3, seed=8))


def test_share_and_kind_spread_are_about_as_configured() -> None:
    faults = [f for f in draws(FaultPlan(share=0.2, seed=1), 20_000) if f]
    assert 0.18 < len(faults) / 20_000 < 0.22
    per_kind = Counter(f.kind for f in faults)
    assert set(per_kind) == set(KINDS)
    assert min(per_kind.values()) > 0.2 * len(faults)


def test_only_enabled_kinds_are_drawn() -> None:
    faults = [f for f in draws(FaultPlan(share=1.0, kinds=("slow", "429"), slow_seconds=2.5)) if f]
    assert len(faults) == 4000
    assert {f.kind for f in faults} == {"slow", "429"}
    assert {f.seconds for f in faults if f.kind == "slow"} == {2.5}
    assert {f.seconds for f in faults if f.kind == "429"} == {1.0, 2.0, 3.0}


def test_a_retried_request_can_succeed() -> None:
    plan = FaultPlan(share=0.5, seed=3)
    for k in range(50):
        outcomes = [plan.decide(METHOD, f"u{k}.x.test", "c", attempt) for attempt in range(30)]
        assert None in outcomes


def test_no_faults_without_a_share() -> None:
    assert not any(draws(FaultPlan()))


def test_bad_plans_are_refused() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        FaultPlan(share=1.5)
    with pytest.raises(ValueError, match="must be some of"):
        FaultPlan(share=0.1, kinds=("boom",))
    assert parse_kinds(" 5xx, slow,5xx ") == ("5xx", "slow")
    with pytest.raises(ValueError, match="not among"):
        parse_kinds("5xx,404")


def test_attempts_count_per_key() -> None:
    counter = AttemptCounter()
    assert [counter.next(("m", "a", "")) for _ in range(3)] == [0, 1, 2]
    assert counter.next(("m", "b", "")) == 0
    counter.clear()
    assert counter.next(("m", "a", "")) == 0


def test_server_errors_are_5xx() -> None:
    statuses = {server_error(Fault("5xx", variant))[0] for variant in range(8)}
    assert statuses == {500, 502, 503}


@pytest.mark.parametrize("variant", range(6))
@pytest.mark.parametrize("good", [b'{"followers":[],"subject":{"did":"x"}}', b"{}"])
def test_malformed_bodies_never_parse(variant: int, good: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(malformed(Fault("malformed", variant), good))
