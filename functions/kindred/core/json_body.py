"""A request body read as a JSON object, totally: any bytes give the object or InvalidInput.

The standard parser recurses once per nesting level, so 1,000 `[` raise RecursionError (and
at other depths use a stack the body's sender chooses). The depth is counted first, without
recursion, and the parse runs only on a body no deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import json
from typing import Any

from kindred.core.errors import InvalidInput

MAX_DEPTH = 16  # a submission nests two levels; anything far deeper is no submission


def parse_object(raw: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The JSON object in `raw` (UTF-8); raises InvalidInput for anything else."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"the body is not UTF-8 ({error.reason} at byte {error.start})"
        ) from None
    depth = nesting(text)
    if depth > max_depth:
        raise InvalidInput(f"the body nests {depth} levels deep; at most {max_depth} are allowed")
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except ValueError as error:  # JSONDecodeError, and an integer of more than 4,300 digits
        raise InvalidInput(f"the body is not valid JSON ({error})") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"the body must be a JSON object, not {type(body).__name__}")
    return body


def nesting(text: str) -> int:
    """How deep arrays and objects nest in JSON text (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif in_string:
            escaped, in_string = char == "\\", char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
