from __future__ import annotations

import pytest
from support.stack import speed_up


@pytest.fixture(scope="session")
def fast_stack(local_stack: dict[str, str]) -> dict[str, str]:
    """The session's stack with its upstream queue sped up (the graph server has no limit)."""
    return speed_up(local_stack)
