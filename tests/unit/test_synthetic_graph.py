"""The synthetic graph: reproducible, the promised shape, and planted accounts that rank first."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from kindred_infra.graph_server.graph import load_graph, parse_edges
from kindred_infra.synthetic import TARGET, SyntheticSpec, edge_array, generate, write_edges

pytestmark = pytest.mark.unit

SPEC = SyntheticSpec(followers=2_000, seed=7)
TOP_CANDIDATES = 300  # the analysis scores only this many most-followed accounts (its default)


@pytest.fixture(scope="module")
def edges() -> np.ndarray:
    return edge_array(SPEC)


def followers_of_target(edges: np.ndarray) -> np.ndarray:
    return edges[edges[:, 1] == TARGET, 0]


def audience_counts(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per account: how many of the target's followers follow it, and its followers_count."""
    from_audience = np.isin(edges[:, 0], followers_of_target(edges)) & (edges[:, 1] != TARGET)
    size = int(edges.max()) + 1
    overlap = np.bincount(edges[from_audience, 1], minlength=size)
    return overlap, np.bincount(edges[:, 1], minlength=size)


def test_same_spec_writes_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.txt.gz", tmp_path / "b.txt.gz", tmp_path / "c.txt.gz"
    write_edges(SyntheticSpec(followers=300, seed=3), first)
    write_edges(SyntheticSpec(followers=300, seed=3), second)
    write_edges(SyntheticSpec(followers=300, seed=4), other)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()


def test_the_target_has_exactly_the_asked_followers(edges: np.ndarray) -> None:
    followers = followers_of_target(edges)
    assert followers.size == np.unique(followers).size == SPEC.followers
    assert set(followers.tolist()) == set(SPEC.follower_ids)


def test_no_self_loops_or_duplicate_edges(edges: np.ndarray) -> None:
    assert not np.any(edges[:, 0] == edges[:, 1])
    assert np.unique(edges, axis=0).shape == edges.shape


def test_follow_counts_are_heavy_tailed_and_capped(edges: np.ndarray) -> None:
    follows = np.bincount(edges[:, 0])[followers_of_target(edges)]
    assert 15 <= np.median(follows) <= 60
    assert 0.02 < np.mean(follows > 100) < 0.15  # a minority needs several pages of 100
    assert follows.max() <= SPEC.max_follows


def test_planted_accounts_rank_first_by_cosine_among_the_top_candidates(edges: np.ndarray) -> None:
    overlap, followers_count = audience_counts(edges)
    overlap[TARGET] = 0
    candidates = np.argsort(-overlap, kind="stable")[:TOP_CANDIDATES]
    score = overlap[candidates] / np.sqrt(SPEC.followers * followers_count[candidates])
    ranked = candidates[np.argsort(-score, kind="stable")]
    planted = SPEC.planted_similar()
    assert set(ranked[: len(planted)].tolist()) == set(planted)


def test_the_most_followed_account_is_generic_and_scores_below_every_planted_one(
    edges: np.ndarray,
) -> None:
    overlap, followers_count = audience_counts(edges)
    overlap[TARGET] = 0
    top = int(np.argmax(overlap))
    planted = np.array(SPEC.planted_similar())
    assert top in SPEC.pool_ids and overlap[top] > overlap[planted].max()

    def score(i: int | np.ndarray) -> float | np.ndarray:
        return overlap[i] / np.sqrt(SPEC.followers * followers_count[i])

    assert score(top) < score(planted).min()
    assert np.all(followers_count[planted] > overlap[planted])  # they have outside followers too


def test_gzip_and_plain_files_hold_the_same_edges(tmp_path: Path) -> None:
    spec = SyntheticSpec(followers=300, seed=5)
    zipped, plain = tmp_path / "g.txt.gz", tmp_path / "g.txt"
    written = write_edges(spec, zipped)
    write_edges(spec, plain)
    text = gzip.decompress(zipped.read_bytes())
    assert text == plain.read_bytes()
    assert parse_edges(text).tolist() == [list(edge) for edge in generate(spec)]
    assert written.edges == len(text.splitlines())


def test_the_graph_servers_loader_reads_the_file(tmp_path: Path) -> None:
    spec = SyntheticSpec(followers=300, seed=5)
    path = tmp_path / "synthetic-300" / "edges.txt.gz"
    path.parent.mkdir()
    written = write_edges(spec, path)
    graph = load_graph(path)
    assert (graph.edges, graph.nodes) == (written.edges, written.accounts)
    target = graph.index_of(TARGET)
    assert target is not None and graph.followers_count(target) == spec.followers


def test_a_spec_with_no_room_for_follows_is_refused() -> None:
    with pytest.raises(ValueError, match="max_follows"):
        SyntheticSpec(followers=10, max_follows=5)
