"""Handlers run in-process, through the same Flask app functions-framework serves them with."""

from __future__ import annotations

import functions_framework
from flask.testing import FlaskClient

from kindred_infra import paths


def function_client(target: str) -> FlaskClient:
    app = functions_framework.create_app(target, str(paths.FUNCTIONS_SOURCE / "main.py"))
    return app.test_client()
