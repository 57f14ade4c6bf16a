"""kindred's configuration: read from the environment once, with safe local defaults.

Every other module takes a `Settings` (or the values it needs) as an argument; nothing else
reads `os.environ`. Locally `kindred up` writes these variables to `.kindred/stack.env`; in
the cloud `kindred deploy` (`infra/kindred_infra/deploy.py`) sets them on each function.
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
    tasks_url: str = "http://127.0.0.1:8651"  # where Cloud Tasks delivers pipeline steps
    service_account: str | None = None  # the identity Cloud Tasks signs its OIDC tokens as
    collection_prefix: str = ""
    max_running: int = 3  # analyses crawling at once
    stale_seconds: float = 1800.0  # no progress for this long: the sweeper moves a job on
    recent_seconds: float = 86400.0  # a finished analysis this recent answers a new request
    tasks_token_key: str | None = None  # local stack only: the key its Cloud Tasks signs with
    # Where the certificates that sign Google's OIDC tokens are published (tests serve their own).
    google_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    upstream_timeout: float = 10.0  # seconds before an upstream call counts as failed
    api_keys: tuple[str, ...] = ()  # who may submit; none configured: nobody may
    max_running_per_client: int = 3
    upstream_rates: tuple[tuple[str, float], ...] = (("local", 20.0), ("bluesky", 9.0))

    def provider_url(self, provider: str) -> str:
        return {"local": self.graph_url, "bluesky": self.bluesky_url}[provider]

    @property
    def providers(self) -> tuple[str, ...]:
        return ("local", "bluesky")

    def upstream_queue(self, provider: str) -> str:
        """Every call to a provider goes through its own queue: the queue's rate is the budget."""
        return f"upstream-{provider}"

    @property
    def pipeline_queue(self) -> str:
        return "pipeline"

    def upstream_rate(self, provider: str) -> float:
        return dict(self.upstream_rates)[provider]

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
            tasks_url=env.get("KINDRED_TASKS_URL", defaults.tasks_url),
            service_account=env.get("KINDRED_SERVICE_ACCOUNT") or None,
            collection_prefix=env.get("KINDRED_COLLECTION_PREFIX", ""),
            max_running=int(env.get("KINDRED_MAX_RUNNING", defaults.max_running)),
            stale_seconds=float(env.get("KINDRED_STALE_SECONDS", defaults.stale_seconds)),
            recent_seconds=float(env.get("KINDRED_RECENT_SECONDS", defaults.recent_seconds)),
            tasks_token_key=env.get("KINDRED_TASKS_TOKEN_KEY") or None,
            google_certs_url=env.get("KINDRED_GOOGLE_CERTS_URL", defaults.google_certs_url),
            upstream_timeout=float(env.get("KINDRED_UPSTREAM_TIMEOUT", defaults.upstream_timeout)),
            api_keys=tuple(
                key.strip()
                for key in env.get("KINDRED_API_KEYS", env.get("KINDRED_API_KEY", "")).split(",")
                if key.strip()
            ),
            max_running_per_client=int(env.get("KINDRED_MAX_RUNNING_PER_CLIENT", 3)),
            upstream_rates=(
                ("local", float(env.get("KINDRED_LOCAL_RATE", 20.0))),
                ("bluesky", float(env.get("KINDRED_BLUESKY_RATE", 9.0))),
            ),
        )

    @property
    def local(self) -> bool:
        """True when every Google service is an emulator (the local stack)."""
        return bool(
            self.tasks_emulator_host and self.firestore_emulator_host and self.storage_emulator_host
        )
