"""The fast-mode rule's simulator (bench/fast_rule.py): its call count is the minimum's when it
reads everything, and the rule itself stays within the exact mode's budget."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.fast_rule import Audience, play
from kindred.core import sampling
from kindred.core.options import AnalysisOptions
from kindred.core.progress import PROFILE_BATCH
from kindred_infra import synthetic
from kindred_infra.graph_server.graph import load_graph


@pytest.fixture(scope="module")
def audience(tmp_path_factory: pytest.TempPathFactory) -> Audience:
    path = Path(tmp_path_factory.mktemp("fast-rule")) / "synthetic-1500" / "edges.txt.gz"
    path.parent.mkdir()
    synthetic.write_edges(synthetic.SyntheticSpec(followers=1_500, seed=2), path)
    return Audience(load_graph(path), "synthetic-1500", synthetic.TARGET, AnalysisOptions())


def read_everything(evidence: sampling.Evidence, seed: str) -> sampling.Decision:
    if evidence.sampled >= evidence.audience:
        return sampling.Decision(sampling.Action.FINISH, 1.0, reason="confident")
    return sampling.Decision(sampling.Action.SAMPLE, 0.0, share=sampling.SHARE_UNIT)


def test_reading_the_whole_audience_costs_the_minimum_and_gives_the_exact_answer(audience):
    played = play(audience, "an1", read_everything)
    options = AnalysisOptions()
    candidates = math.ceil(options.top_candidates * sampling.CANDIDATE_FACTOR)
    extra = math.ceil(candidates / PROFILE_BATCH) - math.ceil(
        options.top_candidates / PROFILE_BATCH
    )
    assert (played.found, played.rounds) == (options.results, 2)
    assert played.calls == audience.exact_calls + extra  # fast mode fetches more profiles


def test_the_rule_stays_within_the_exact_budget_and_finds_the_answer(audience):
    for analysis in ("an1", "an2"):
        played = play(audience, analysis)
        assert played.calls <= audience.exact_calls + 3
        assert played.found >= 0.9 * AnalysisOptions().results
        assert played.stopped in ("confident", "budget")
