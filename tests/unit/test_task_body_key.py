"""Task bodies are signed with a key only the functions hold: the signature, and the key's way
into the local stack's functions (never into `stack.env`, which clients source)."""

from __future__ import annotations

import pytest

from kindred.core import task_signature
from kindred_infra.stack.control import api_key
from kindred_infra.stack.plan import StackOptions, plan, stack_env

KEY, STEP, TASK, BODY = "k" * 32, "follows", "abc-follows-3", b'{"v":1}'


def test_a_signature_matches_only_its_step_task_name_body_and_key():
    signature = task_signature.sign(KEY, STEP, TASK, BODY)
    assert signature.startswith("v1=") and task_signature.matches(KEY, STEP, TASK, BODY, signature)
    for other in (
        ("another key", STEP, TASK, BODY),
        (KEY, "followers", TASK, BODY),
        (KEY, STEP, "abc-follows-4", BODY),
        (KEY, STEP, TASK, b'{"v":2}'),
        (KEY, STEP, TASK, BODY + b" "),
    ):
        assert not task_signature.matches(*other, signature), other


@pytest.mark.parametrize("given", ["", "v1=", "v1=00", "\u00e9" * 64, "\udcff", "v0=" + "0" * 64])
def test_a_garbled_signature_is_no_match_and_no_error(given):
    assert not task_signature.matches(KEY, STEP, TASK, BODY, given)


def test_the_step_and_name_cannot_be_shifted_into_the_body():
    # the same bytes split differently between the name and the body sign differently
    assert task_signature.sign(KEY, STEP, "a", b"\nb") != task_signature.sign(
        KEY, STEP, "a\n", b"b"
    )


def test_the_stack_keeps_its_body_key_in_its_home_and_gives_it_to_the_functions_only(tmp_path):
    key = api_key(tmp_path, "tasks_body_key")
    assert key == api_key(tmp_path, "tasks_body_key") and len(key) >= 32
    assert (tmp_path / "tasks_body_key").stat().st_mode & 0o777 == 0o600
    options = StackOptions(home=tmp_path, api_key="a", tasks_body_key=key)
    functions = [spec for spec in plan(options) if spec.name.startswith("function:")]
    assert functions and all(spec.env["KINDRED_TASKS_BODY_KEY"] == key for spec in functions)
    others = [spec for spec in plan(options) if not spec.name.startswith("function:")]
    assert all("KINDRED_TASKS_BODY_KEY" not in spec.env for spec in others)
    assert "KINDRED_TASKS_BODY_KEY" not in stack_env(options)
