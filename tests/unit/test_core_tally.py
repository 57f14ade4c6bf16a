from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from kindred.core import tally

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567:.", min_size=1, max_size=20)
tallies = st.dictionaries(keys, st.integers(min_value=1, max_value=10**6)).map(Counter)


@given(tallies)
def test_encoding_round_trips(counts):
    assert tally.decode(tally.encode(counts)) == counts
    assert tally.decode_text(tally.as_text(tally.encode(counts))) == counts


@given(st.lists(tallies, max_size=6))
def test_merging_sorted_runs_equals_adding_counters(runs):
    expected = sum(runs, Counter())
    merged = list(tally.merge_sorted_runs(sorted(run.items()) for run in runs))
    assert dict(merged) == expected
    assert [key for key, _ in merged] == sorted(expected)  # still a sorted run, keys unique


def test_an_empty_tally_encodes_to_text_that_decodes_empty():
    assert tally.decode_text(tally.as_text(tally.encode(Counter()))) == Counter()
    assert tally.decode_text("") == Counter()


def test_a_payload_sized_tally_is_compact():
    dids = Counter({f"did:plc:{i:024d}": i % 7 + 1 for i in range(2000)})
    assert len(tally.as_text(tally.encode(dids))) < 20_000  # 2,000 accounts in well under 100 KB


@given(tallies, st.integers(min_value=1, max_value=64), st.integers(min_value=1, max_value=5))
def test_a_written_run_reads_back_whatever_the_batches_and_chunks(counts, chunk, batch):
    data = tally.write_run(sorted(counts.items()), batch=batch)
    assert tally.decode(data) == counts
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    assert list(tally.read_run(chunks)) == sorted(counts.items())
