from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from support.functions import function_client


@pytest.fixture
def api_client() -> FlaskClient:
    return function_client("api")
