"""The arithmetic of interim rankings: when to rank, what it rests on, how far it moved."""

from __future__ import annotations

import math

import pytest

from kindred.core.interim import (
    CHECKPOINTS,
    MOST,
    STEPS,
    basis,
    checkpoints,
    footrule,
    ladder,
    movement,
    overlap_share,
    position,
    shared,
    step_to_ask,
)


def test_the_steps_are_at_most_most_rounds_doubling_every_two():
    assert len(STEPS) == MOST
    assert STEPS == (8, 12, 16, 23, 32, 46, 64, 91, 128, 182, 256, 363, 512, 725, 1024, 1449)
    pairs = zip(STEPS, STEPS[2:], strict=False)
    assert all(after == pytest.approx(2 * before, rel=0.1) for before, after in pairs)


def test_a_ladder_never_repeats_a_step():
    assert ladder(first=1, ratio=1.1, most=10) == (1, 2, 3)  # 1, 1.1, 1.21, ... 2.36 rounded up
    assert ladder(first=5, ratio=2, most=3) == (5, 10, 20)


@pytest.mark.parametrize("followers", [100, 83, 40, 17])
def test_a_chain_leaves_its_tally_at_a_sixteenth_an_eighth_a_quarter_half_and_three_quarters(
    followers,
):
    done = sorted(checkpoints(followers))
    assert done == [math.ceil(share * followers) for share in CHECKPOINTS]
    assert checkpoints(100) == {7, 13, 25, 50, 75}


def test_a_short_chain_has_fewer_checkpoints_and_none_at_its_end():
    assert checkpoints(3) == {1, 2}
    assert checkpoints(2) == {1}
    assert checkpoints(1) == set()
    assert checkpoints(0) == set()


def test_the_position_is_the_round_of_the_queue():
    # Group 5 started in round 5; its tenth call is in round 15, as is group 0's fifteenth.
    assert position(5, 10) == position(0, 15) == 15


def test_a_chain_asks_the_last_step_it_reached_unless_an_earlier_chain_reached_it_first():
    assert step_to_ask(0, 7) is None  # no step reached yet
    assert step_to_ask(0, 8) == 8
    assert step_to_ask(3, 10) == 12
    assert step_to_ask(2, 60) == 46
    assert step_to_ask(12, 3) is None  # step 12 was reached before group 12's chain started
    assert step_to_ask(13, 3) == 16
    assert step_to_ask(0, 100_000) == STEPS[-1]


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
