"""Edge-list parsing and the CSR graph: formats, errors with line numbers, neighbour order."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from kindred_infra.graph_server.graph import EdgeListError, build_graph, load_graph, parse_edges

pytestmark = pytest.mark.unit

TINY = b"# tiny graph: A follows B\n1 2\n1 3\n\n2 3\n3 1\n40 3\n5 3\n3 3\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_plain_and_gzip_files_give_the_same_graph(tmp_path: Path) -> None:
    plain = load_graph(write(tmp_path, "g.txt", TINY))
    zipped = load_graph(write(tmp_path, "g.txt.gz", gzip.compress(TINY)))
    assert (plain.nodes, plain.edges) == (zipped.nodes, zipped.edges) == (5, 7)
    assert np.array_equal(plain.in_indices, zipped.in_indices)


def test_gzip_is_recognised_by_magic_bytes_not_name(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "edges.txt", gzip.compress(TINY)))
    assert graph.edges == 7


def test_comments_blank_lines_tabs_and_crlf_are_accepted() -> None:
    data = b"# header\r\n1\t2\r\n\r\n  3 4   # trailing note\r\n   \r\n# end"
    assert parse_edges(data).tolist() == [[1, 2], [3, 4]]


def test_large_ids_keep_their_value() -> None:
    assert parse_edges(b"999999999999999999 1\n").tolist() == [[999999999999999999, 1]]


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        (b"1 2\n3 4 5\n", 2, "expected 2 ids (A follows B), found 3"),
        (b"1 2\n\n7\n", 3, "expected 2 ids (A follows B), found 1"),
        (b"1 2\n3 x\n", 2, "unexpected character 'x'"),
        (b"1 2\n3 -4\n", 2, "unexpected character '-'"),
        (b"1 2\n1 2\n1 1234567890123456789\n", 3, "id longer than 18 digits"),
        (b"1 2\n3 4 5\n6 y\n", 2, "found 3"),  # the first bad line is the one reported
    ],
)
def test_malformed_lines_name_the_file_and_line(data: bytes, line: int, what: str) -> None:
    with pytest.raises(EdgeListError) as caught:
        parse_edges(data, source="edges.txt")
    assert f"edges.txt, line {line}:" in str(caught.value)
    assert what in str(caught.value)


def test_malformed_gzip_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.gz", gzip.compress(b"1 2\n2 3 4\n"))
    with pytest.raises(EdgeListError, match=r"bad\.gz, line 2: .* found 3: '2 3 4'"):
        load_graph(path)


def test_a_file_without_edges_is_refused() -> None:
    with pytest.raises(EdgeListError, match="holds no edges"):
        parse_edges(b"# only a comment\n\n", source="empty.txt")


def test_csr_lists_follows_and_followers_in_ascending_id_order() -> None:
    graph = build_graph(parse_edges(TINY))
    assert graph.ids.tolist() == [1, 2, 3, 5, 40]

    def follows(account: int) -> list[int]:
        return graph.ids[graph.follows(graph.index_of(account))].tolist()

    def followers(account: int) -> list[int]:
        return graph.ids[graph.followers(graph.index_of(account))].tolist()

    assert follows(1) == [2, 3]
    assert follows(3) == [1, 3]  # the self-loop is kept
    assert followers(3) == [1, 2, 3, 5, 40]
    assert followers(40) == []
    index = graph.index_of(3)
    assert (graph.followers_count(index), graph.follows_count(index)) == (5, 2)


def test_duplicate_edges_count_once() -> None:
    graph = build_graph(parse_edges(b"1 2\n1 2\n2 1\n"))
    assert graph.edges == 2
    assert graph.followers_count(graph.index_of(2)) == 1


def test_unknown_ids_have_no_index() -> None:
    graph = build_graph(parse_edges(TINY))
    assert graph.index_of(4) is None
    assert graph.index_of(10**12) is None
    assert graph.index_of(0) is None


def test_arrays_are_compact() -> None:
    graph = build_graph(parse_edges(TINY))
    assert graph.out_indices.dtype == graph.in_indices.dtype == np.int32
    assert graph.ids.dtype == np.int64
    assert graph.out_indptr.tolist()[-1] == graph.in_indptr.tolist()[-1] == graph.edges
