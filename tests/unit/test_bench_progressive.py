"""The progressive-results bench's arithmetic: each interim placed on the crawl by the calls
started before it, the agreement read off at a share of the calls, the checkpoints counted."""

from __future__ import annotations

from bench.progressive import agreement_at, checkpoint_figure, place, ranked_by

RESULT = {
    "followers_in_scope": 400,
    "similar": [{"id": account} for account in ("a", "b", "c", "d")],
    "popular": [{"id": account} for account in ("b", "e", "a", "f")],
}


def interim_doc(step: int, at: float, ids: list[str], followers: int) -> dict:
    return {
        "step": step,
        "groups": step,
        "followers": followers,
        "at": at,
        "results": [{"id": account, "overlap": 1} for account in ids],
        "cost": {"firestore_writes": 1},
    }


def test_each_interim_is_placed_by_the_calls_started_before_it():
    starts = [float(second) for second in range(10)]  # ten calls, one a second
    stored = [
        interim_doc(2, at=7.5, ids=["a", "b", "x", "y"], followers=200),
        interim_doc(1, at=3.0, ids=["x", "e", "y", "z"], followers=100),
    ]
    first, second = place(stored, starts, RESULT)
    assert (first.step, first.calls_share, first.basis) == (1, 0.4, 0.25)  # 0 to 3 started
    assert (first.agreement, first.agreement_popular) == (0.0, 0.25)
    assert (second.calls_share, second.agreement, second.agreement_popular) == (0.8, 0.5, 0.5)
    assert agreement_at([first, second], 0.3) == 0.0  # none ranked yet
    assert agreement_at([first, second], 0.5, popular=True) == 0.25
    assert agreement_at([first, second], 0.9) == 0.5


def test_the_interim_read_off_at_a_share_is_the_last_ranked_by_then():
    starts = [float(second) for second in range(10)]
    stored = [interim_doc(1, at=3.0, ids=["a"], followers=100)]
    (only,) = place(stored, starts, RESULT)
    assert ranked_by([only], 0.3) is None
    assert ranked_by([only], 0.4) == only


def test_the_checkpoint_figure_counts_each_object_and_leaves_the_other_writes_as_baseline():
    sizes = {
        "analyses/x/checkpoints/g000000-f000007.json": 120,
        "analyses/x/checkpoints/g000000-f000013.json": 900,
        "analyses/x/checkpoints/g000001-f000007.json": 100,
        "analyses/x/parts/g000000-0000.tsv.z": 5_000,
        "analyses/x/popular.json": 700,
    }
    figure = checkpoint_figure({"cost": {"storage_writes": 40}}, sizes, {})
    assert (figure.value, figure.baseline, figure.met) == (3, 37, True)
    assert figure.params["chains"] == 2
    assert (figure.params["bytes"], figure.params["parts_bytes"]) == (1_120, 5_000)
