"""A submission past the client's cap is refused before it costs an upstream call."""

import pytest
from support.fakes import World

from kindred.config import Settings
from kindred.core.errors import TooBusy
from kindred.core.options import AnalysisOptions
from kindred.services.submit import submit


@pytest.fixture
def world():
    edges = [(n, n % 3 + 1) for n in range(1, 12)]
    return World(edges, Settings(max_running_per_client=1, max_running=0))


def test_fifty_refused_submissions_make_no_upstream_call(world):
    submit(world.deps(), "a1", "local", AnalysisOptions(), client="c")
    assert world.upstream_calls == 1
    for n in range(50):
        with pytest.raises(TooBusy):
            submit(world.deps(), f"a{n % 10 + 2}", "local", AnalysisOptions(results=n + 1), "c")
    assert world.upstream_calls == 1


def test_the_same_submission_at_the_cap_is_the_running_analysis_with_no_upstream_call(world):
    first = submit(world.deps(), "a1", "local", AnalysisOptions(), client="c")
    again = submit(world.deps(), "a1", "local", AnalysisOptions(), client="c")
    assert (again.id, again.existing) == (first.id, True)
    assert world.upstream_calls == 1


def test_another_client_asking_the_same_gets_the_same_analysis_without_a_lookup(world):
    first = submit(world.deps(), "a1", "local", AnalysisOptions(), client="c")
    other = submit(world.deps(), "a1", "local", AnalysisOptions(), client="d")
    assert (other.id, other.existing) == (first.id, True)
    assert world.upstream_calls == 1
