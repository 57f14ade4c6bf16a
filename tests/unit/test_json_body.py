"""The request body parser is total: any bytes are a JSON object or InvalidInput."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindred.core.errors import InvalidInput
from kindred.core.json_body import MAX_DEPTH, nesting, parse_object


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"[" * 1000 + b"]" * 1000, "nests 1000 levels"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nests 5000 levels"),
        (b"[" * 100_000, "nests"),
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[]", "JSON object, not list"),
        (b'"account"', "JSON object, not str"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": NaN}', "not valid JSON"),
        (b'{"a": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ],
)
def test_what_is_no_bounded_json_object_is_refused_with_a_reason(raw, words):
    with pytest.raises(InvalidInput, match=words):
        parse_object(raw)


def test_brackets_inside_strings_are_no_nesting():
    assert nesting('{"a": "[[[[\\"[[[", "b": ["]"]}') == 2
    assert parse_object(b'{"account": "' + b"[" * 100 + b'"}') == {"account": "[" * 100}


def test_an_object_at_the_limit_is_read():
    raw = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    assert parse_object(raw.encode())["a"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=300)
@given(raw=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_bytes_are_an_object_or_invalid_input(raw):
    try:
        body = parse_object(raw)
    except InvalidInput as refused:
        assert str(refused)
    else:
        assert isinstance(body, dict) and body == json.loads(raw)


@given(value=st.dictionaries(st.text(), json_values, max_size=3))
def test_nesting_counts_what_the_parser_builds(value):
    def depth(v):
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        return 0

    assert nesting(json.dumps(value, ensure_ascii=False)) == depth(value)
