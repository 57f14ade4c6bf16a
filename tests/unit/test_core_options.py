import pytest

from kindred.core.errors import InvalidInput
from kindred.core.options import AnalysisOptions, options_from_stored, parse_options


def test_defaults_are_those_documented():
    assert parse_options(None) == AnalysisOptions(100_000, 5_000, 300, 50)
    assert parse_options({}) == AnalysisOptions()


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"max_folowers": 5}, "options.max_folowers", "unknown option"),
        ({"max_followers": 0}, "options.max_followers", "between 1 and"),
        ({"top_candidates": "300"}, "options.top_candidates", "must be an integer"),
        ({"results": True}, "options.results", "must be an integer"),
        ({"results": 400}, "options.results", "cannot exceed top_candidates"),
        ([1, 2], "options", "must be an object"),
    ],
)
def test_bad_options_name_the_field_and_what_is_allowed(raw, field, words):
    with pytest.raises(InvalidInput, match=words) as caught:
        parse_options(raw)
    assert caught.value.field == field


def test_stored_options_round_trip():
    options = parse_options({"max_followers": 10, "results": 5})
    assert options_from_stored(options.as_dict()) == options
