"""kindred's configuration: read from the environment once, with safe local defaults.

Every other module takes a `Settings` (or the values it needs) as an argument; nothing else
reads `os.environ`. Locally `kindred up` writes these variables to `.kindred/stack.env`; in
the cloud `kindred deploy` (`infra/kindred_infra/deploy.py`) sets them on each function.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kindred.core.sources import MASTODON, mastodon_host


@dataclass(frozen=True)
class Settings:
    project: str = "kindred-local"
    location: str = "us-central1"
    bucket: str = "kindred-local"
    graph_url: str = "http://127.0.0.1:8640"
    bluesky_url: str = "https://public.api.bsky.app"
    plc_directory: str = "https://plc.directory"  # did:plc documents: where each account's PDS is
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
    # Where the certificates that check task tokens are published: Google's, or locally the
    # tasks emulator's (the stack points this at them).
    google_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    upstream_timeout: float = 10.0  # seconds before an upstream call counts as failed
    api_keys: tuple[str, ...] = ()  # who may submit; none configured: nobody may
    tasks_body_key: str = ""  # signs each task body (HMAC); only the functions hold it
    max_running_per_client: int = 3
    # Calls per second of each provider's queue: queue.yaml's rates (a test checks they agree).
    local_rate: float = 20.0
    bluesky_rate: float = 9.0
    # getBlob's hosts (the PDS: 3,000 requests per 5 minutes per address): their own queues.
    local_blobs_rate: float = 9.0
    bluesky_blobs_rate: float = 9.0
    # Mastodon: each home server (`mastodon:{host}` sources) its own queue: 300 requests per
    # 5 minutes per address, kept a little under. Those of `mastodon_hosts` have one each in
    # queue.yaml; any other shares `upstream-mastodon`, which keeps under any one's limit.
    mastodon_rate: float = 0.9
    mastodon_hosts: tuple[str, ...] = ("mastodon.social", "mastodon.online", "mstdn.social")
    # The home server the local graph server stands in for (`kindred up` sets it), reached at
    # graph_url on loopback: the one host let through the public-address check.
    mastodon_local_host: str = ""
    mastodon_local_rate: float = 20.0
    # Their media files (an attachment's `url`: the server's own files or a media host it
    # names), a budget apart from the API's: Mastodon documents no limit for them (they are
    # served outside its API, by its web server or a CDN), so a polite pace, a queue each.
    mastodon_blobs_rate: float = 2.0
    mastodon_local_blobs_rate: float = 9.0
    # E-mail (`notify_email`): the SMTP server the result link is sent through; none set, no
    # e-mail is accepted. security: `starttls` (upgrade a plain connection, usually port 587),
    # `tls` (TLS from the start, usually 465) or `none` (the local stack's mail server only).
    # The password is a Secret Manager secret in the cloud (`kindred deploy --smtp-user`).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 10.0  # seconds for the whole conversation, under the queue's backoff
    mail_from: str = "kindred <kindred@localhost>"
    mail_daily_cap: int = 100  # messages a client (an API key) may be sent a UTC day

    def __post_init__(self) -> None:
        if self.smtp_security not in SMTP_SECURITY:
            raise ValueError(
                f"KINDRED_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, "
                f"not {self.smtp_security!r}"
            )

    def provider_url(self, provider: str) -> str:
        host = mastodon_host(provider)
        if host is not None:
            return self.graph_url if host == self.mastodon_local_host else f"https://{host}"
        return {"local": self.graph_url, "bluesky": self.bluesky_url}[provider]

    @property
    def providers(self) -> tuple[str, ...]:
        return ("local", "bluesky", MASTODON)

    def upstream_queue(self, provider: str) -> str:
        """Every call to a provider goes through its own queue: the queue's rate is the budget.
        `provider` is a source or the blob budget of one (`blob_upstream`)."""
        source, blobs = _budget(provider)
        suffix = "-blobs" if blobs else ""
        host = mastodon_host(source)
        if host is not None and host == self.mastodon_local_host:
            return f"upstream-mastodon-local{suffix}"
        if host is not None:
            named = host in self.mastodon_hosts
            queue = f"upstream-mastodon-{host.replace('.', '-')}" if named else "upstream-mastodon"
            return queue + suffix
        return f"upstream-{source}{suffix}"

    @property
    def pipeline_queue(self) -> str:
        return "pipeline"

    @property
    def export_queue(self) -> str:
        """Export steps: no upstream call, but each moves up to a shard of bytes."""
        return "export"

    @property
    def mail_queue(self) -> str:
        """Sending a job's e-mail: its own queue, so an SMTP outage delays nothing else."""
        return "mail"

    def blob_upstream(self, provider: str) -> str:
        """The budget a source's image downloads spend (getBlob, a Mastodon attachment's
        file): `local-blobs`, `bluesky-blobs`, `mastodon-blobs:{host}`. Its queue is
        `upstream_queue` of this, its rate `upstream_rate`; `_budget` reads it back."""
        family, colon, host = provider.partition(":")
        return f"{family}{BLOBS}{colon}{host}"

    def upstream_rate(self, provider: str) -> float:
        source, blobs = _budget(provider)
        suffix = "_blobs" if blobs else ""
        host = mastodon_host(source)
        if host is not None:
            local = "_local" if host == self.mastodon_local_host else ""
            field = f"mastodon{local}{suffix}_rate"
        else:
            field = f"{source}{suffix}_rate"
        rate: float = getattr(self, field)
        return rate

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Each field from its variable in ENV when set (and not empty), else its default."""
        types = typing.get_type_hints(cls)
        values = {
            field: _parse(types[field], env[name]) for field, name in ENV.items() if env.get(name)
        }
        if "api_keys" not in values and env.get(API_KEY_ALIAS):  # the stack's single key
            values["api_keys"] = _parse(tuple[str, ...], env[API_KEY_ALIAS])
        return cls(**values)

    @property
    def local(self) -> bool:
        """True when every Google service is an emulator (the local stack)."""
        return bool(
            self.tasks_emulator_host and self.firestore_emulator_host and self.storage_emulator_host
        )


# The one table of environment variables: each Settings field and the variable that sets it.
ENV: dict[str, str] = {
    "project": "GOOGLE_CLOUD_PROJECT",
    "location": "KINDRED_LOCATION",
    "bucket": "KINDRED_BUCKET",
    "graph_url": "KINDRED_GRAPH_URL",
    "bluesky_url": "KINDRED_BLUESKY_URL",
    "plc_directory": "KINDRED_PLC_DIRECTORY",
    "api_url": "KINDRED_API_URL",
    "tasks_emulator_host": "CLOUD_TASKS_EMULATOR_HOST",
    "firestore_emulator_host": "FIRESTORE_EMULATOR_HOST",
    "storage_emulator_host": "STORAGE_EMULATOR_HOST",
    "tasks_url": "KINDRED_TASKS_URL",
    "service_account": "KINDRED_SERVICE_ACCOUNT",
    "collection_prefix": "KINDRED_COLLECTION_PREFIX",
    "max_running": "KINDRED_MAX_RUNNING",
    "stale_seconds": "KINDRED_STALE_SECONDS",
    "recent_seconds": "KINDRED_RECENT_SECONDS",
    "google_certs_url": "KINDRED_GOOGLE_CERTS_URL",
    "upstream_timeout": "KINDRED_UPSTREAM_TIMEOUT",
    "api_keys": "KINDRED_API_KEYS",
    "tasks_body_key": "KINDRED_TASKS_BODY_KEY",
    "max_running_per_client": "KINDRED_MAX_RUNNING_PER_CLIENT",
    "local_rate": "KINDRED_LOCAL_RATE",
    "bluesky_rate": "KINDRED_BLUESKY_RATE",
    "local_blobs_rate": "KINDRED_LOCAL_BLOBS_RATE",
    "bluesky_blobs_rate": "KINDRED_BLUESKY_BLOBS_RATE",
    "mastodon_rate": "KINDRED_MASTODON_RATE",
    "mastodon_hosts": "KINDRED_MASTODON_HOSTS",
    "mastodon_local_host": "KINDRED_MASTODON_LOCAL_HOST",
    "mastodon_local_rate": "KINDRED_MASTODON_LOCAL_RATE",
    "mastodon_blobs_rate": "KINDRED_MASTODON_BLOBS_RATE",
    "mastodon_local_blobs_rate": "KINDRED_MASTODON_LOCAL_BLOBS_RATE",
    "smtp_host": "KINDRED_SMTP_HOST",
    "smtp_port": "KINDRED_SMTP_PORT",
    "smtp_security": "KINDRED_SMTP_SECURITY",
    "smtp_user": "KINDRED_SMTP_USER",
    "smtp_password": "KINDRED_SMTP_PASSWORD",
    "smtp_timeout": "KINDRED_SMTP_TIMEOUT",
    "mail_from": "KINDRED_MAIL_FROM",
    "mail_daily_cap": "KINDRED_MAIL_DAILY_CAP",
}
SMTP_SECURITY = ("starttls", "tls", "none")
API_KEY_ALIAS = "KINDRED_API_KEY"  # one key, as `kindred up` exports it for the CLI too
BLOBS = "-blobs"  # a blob budget's mark, after the provider's family (before a Mastodon host)


def _budget(name: str) -> tuple[str, bool]:
    """(the source, whether it is its blob budget) of a budget name: `mastodon-blobs:h` is
    (`mastodon:h`, True). The mark sits before the colon, so no host name can fake it."""
    family, colon, host = name.partition(":")
    blobs = family.endswith(BLOBS)
    return f"{family.removesuffix(BLOBS)}{colon}{host}", blobs


def to_env(**values: Any) -> dict[str, str]:
    """The variables that give Settings these field values: for the stack and for deploy."""
    unknown = sorted(set(values) - set(ENV))
    if unknown:
        raise KeyError(f"no setting {unknown[0]!r}")
    return {ENV[field]: _format(value) for field, value in values.items() if value is not None}


def _parse(kind: Any, raw: str) -> Any:
    if kind == tuple[str, ...]:
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    if kind in (int, float):
        return kind(raw)
    return raw  # str, or str | None set


def _format(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    return f"{value:g}" if isinstance(value, float) else str(value)
