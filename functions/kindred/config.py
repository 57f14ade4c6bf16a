"""kindred's configuration: read from the environment once, with safe local defaults.

Every other module takes a `Settings` (or the values it needs) as an argument; nothing else
reads `os.environ`. Locally `kindred up` writes these variables to `.kindred/stack.env`; in
the cloud `infra/deploy.py` sets them on each function.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    project: str = "kindred-local"
    location: str = "us-central1"
    bucket: str = "kindred-local"
    graph_url: str = "http://127.0.0.1:8640"
    bluesky_url: str = "https://public.api.bsky.app"
    api_url: str = "http://127.0.0.1:8650"
    tasks_emulator_host: str | None = None
    firestore_emulator_host: str | None = None
    storage_emulator_host: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        defaults = cls()
        return cls(
            project=env.get("GOOGLE_CLOUD_PROJECT", defaults.project),
            location=env.get("KINDRED_LOCATION", defaults.location),
            bucket=env.get("KINDRED_BUCKET", defaults.bucket),
            graph_url=env.get("KINDRED_GRAPH_URL", defaults.graph_url),
            bluesky_url=env.get("KINDRED_BLUESKY_URL", defaults.bluesky_url),
            api_url=env.get("KINDRED_API_URL", defaults.api_url),
            tasks_emulator_host=env.get("CLOUD_TASKS_EMULATOR_HOST") or None,
            firestore_emulator_host=env.get("FIRESTORE_EMULATOR_HOST") or None,
            storage_emulator_host=env.get("STORAGE_EMULATOR_HOST") or None,
        )

    @property
    def local(self) -> bool:
        """True when every Google service is an emulator (the local stack)."""
        return bool(
            self.tasks_emulator_host and self.firestore_emulator_host and self.storage_emulator_host
        )
