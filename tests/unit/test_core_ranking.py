import math

import pytest

from kindred.core.accounts import AccountProfile
from kindred.core.ranking import Popular, cosine, rank_similar, top_popular


def test_top_popular_excludes_the_target_and_breaks_ties_by_id():
    counts = [("b", 5), ("a", 5), ("target", 9), ("c", 7), ("d", 1), ("zero", 0)]
    assert top_popular(counts, 3, exclude="target") == [
        Popular("c", 7),
        Popular("a", 5),
        Popular("b", 5),
    ]
    assert [p.id for p in top_popular(counts, 10, exclude="target")] == ["c", "a", "b", "d"]


def test_cosine_is_overlap_over_the_geometric_mean_of_the_set_sizes():
    assert cosine(10, 100, 25) == pytest.approx(10 / math.sqrt(100 * 25))
    assert cosine(0, 100, 25) == 0.0
    assert cosine(5, 0, 25) == 0.0


def test_ranking_sorts_by_score_and_skips_candidates_without_a_profile():
    popular = [Popular("big", 50), Popular("niche", 10), Popular("ghost", 40)]
    profiles = {
        "big": AccountProfile("big", "big.test", "Big", 10_000, 5),
        "niche": AccountProfile("niche", "niche.test", "Niche", 20, 5),
    }
    ranked = rank_similar(popular, profiles, followers_analyzed=100, limit=5)
    assert [s.id for s in ranked] == ["niche", "big"]
    assert ranked[0].score == pytest.approx(10 / math.sqrt(100 * 20))
    assert rank_similar(popular, profiles, 100, limit=1)[0].id == "niche"
