"""The arithmetic of interim rankings: when to rank, what it rests on, how far it moved."""

from __future__ import annotations

import itertools

import pytest

from kindred.core.interim import (
    MOST,
    basis,
    footrule,
    max_groups,
    movement,
    overlap_share,
    schedule,
    shared,
)


@pytest.mark.parametrize("groups", [1, 2, 5, MOST])
def test_up_to_most_groups_every_finished_group_is_a_step(groups):
    assert schedule(groups) == tuple(range(1, groups + 1))


@pytest.mark.parametrize("groups", [MOST + 1, 34, 100, 1_000, 10_000])
def test_past_most_groups_the_steps_are_geometric_and_at_most_most(groups):
    steps = schedule(groups)
    assert steps[0] == 1 and steps[-1] == groups
    assert len(steps) <= MOST
    assert list(steps) == sorted(set(steps))
    ratios = [after / before for before, after in itertools.pairwise(steps[3:])]
    wanted = groups ** (1 / (MOST - 1))
    assert all(r == pytest.approx(wanted, rel=0.35) for r in ratios), (steps, wanted)


def test_the_default_cap_gives_sixteen_steps_from_one_group_to_a_thousand():
    assert max_groups(100_000, 100) == 1_000
    assert schedule(1_000) == (
        1, 2, 3, 4, 7, 10, 16, 26, 40, 64, 100, 159, 252, 399, 631, 1000,
    )  # fmt: skip


def test_the_most_groups_is_one_per_page_and_never_zero():
    assert max_groups(400, 100) == 4
    assert max_groups(401, 100) == 5
    assert max_groups(1, 100) == 1


def test_the_interim_score_is_the_share_of_the_followers_read():
    assert overlap_share(30, 120) == 0.25
    assert overlap_share(3, 0) == 0.0


def test_the_basis_is_the_share_of_the_audience_and_at_most_one():
    assert basis(250, 1_000) == 0.25
    assert basis(1_000, 3_383) == pytest.approx(0.2956)
    assert basis(1_200, 1_000) == 1.0  # a stale followers count
    assert basis(0, 0) == 1.0


def test_shared_is_the_share_of_the_reference_found():
    assert shared(["a", "b", "c"], ["c", "d"]) == 0.5
    assert shared([], ["a"]) == 0.0
    assert shared(["a"], []) == 1.0


def test_the_same_ranking_did_not_move_and_a_disjoint_one_moved_all_the_way():
    assert movement(["a", "b", "c"], ["a", "b", "c"]).as_dict() == {"changed": 0, "footrule": 0}
    assert movement(["a", "b", "c"], ["x", "y", "z"]).as_dict() == {"changed": 1, "footrule": 1}


def test_the_footrule_counts_how_far_each_account_moved():
    # Swapping the first two of three: each moved one place; disjoint lists would sum to
    # (3 + 2 + 1) * 2 = 12.
    assert footrule(["a", "b", "c"], ["b", "a", "c"]) == pytest.approx(2 / 12)
    # A newcomer at the top pushes the others down and the last out: a 3->0, b 0->1, c 1->2,
    # d 2->3 (out, at rank k = 3): 3 + 1 + 1 + 1 = 6 of 12.
    moved = movement(["b", "c", "d"], ["a", "b", "c"])
    assert moved.changed == pytest.approx(1 / 3)
    assert moved.footrule == pytest.approx(6 / 12)


def test_the_footrule_is_symmetric_and_takes_lists_of_different_lengths():
    first, second = ["a", "b", "c", "d"], ["d", "a"]
    assert footrule(first, second) == footrule(second, first)
    assert 0 < footrule(first, second) < 1
    assert footrule([], []) == 0.0
    assert footrule(["a"], []) == 1.0
