"""Fixtures shared by every tier; each tier's marker comes from the folder its tests are in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stack import running

from kindred_infra import stack

TIERS = ("unit", "functions", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = Path(str(item.path)).parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The whole local stack on free loopback ports, for the session; yields its stack.env."""
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("kindred-home"), ports=stack.free_ports(), rate_limit="0"
    )
    with running(options) as env:
        yield env


@pytest.fixture(scope="module")
def media_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A stack of its own with the graph server's posts and images on (`kindred up --media`),
    on free ports, for one module; yields its stack.env."""
    options = stack.StackOptions(
        home=tmp_path_factory.mktemp("kindred-media"),
        ports=stack.free_ports(),
        rate_limit="0",
        media=True,
    )
    with running(options) as env:
        yield env
