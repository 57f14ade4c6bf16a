import pytest

from kindred_infra.tasks_emulator.dedup import DEFAULT_WINDOW, DedupWindow

pytestmark = pytest.mark.unit


def test_the_default_is_an_hour_as_in_cloud_tasks() -> None:
    assert DedupWindow().seconds == DEFAULT_WINDOW == 3600


def test_a_name_never_used_is_free() -> None:
    assert not DedupWindow(60).blocks(None, now=1000.0)


def test_a_name_is_taken_within_the_window_and_free_after() -> None:
    window = DedupWindow(60)
    assert window.blocks(gone_at=1000.0, now=1000.0)
    assert window.blocks(gone_at=1000.0, now=1059.9)
    assert not window.blocks(gone_at=1000.0, now=1060.0)


def test_tombstones_older_than_the_window_can_go() -> None:
    assert DedupWindow(60).expired_before(now=1000.0) == 940.0


def test_a_zero_window_blocks_nothing_that_is_gone() -> None:
    assert not DedupWindow(0).blocks(gone_at=5.0, now=5.0)
