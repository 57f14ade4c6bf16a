"""The one wiring module: settings in, a `Deps` of real adapters out, one per invocation.

Clients are built lazily and cached (`adapters.clients`); adapters are cheap wrappers that
carry this invocation's Meter, so each step counts what it spends.
"""

from __future__ import annotations

import time
from functools import cache

import requests

from kindred.adapters import webhook
from kindred.adapters.bluesky import BlueskyGraph
from kindred.adapters.clients import firestore_client, storage_client, tasks_client
from kindred.adapters.cloud_tasks import CloudTaskQueue
from kindred.adapters.firestore_store import FirestoreJobStore
from kindred.adapters.gcs_blobs import GcsBlobStore
from kindred.adapters.smtp_mail import SmtpMailer
from kindred.config import Settings
from kindred.core.cost import Meter
from kindred.core.mail import sender_domain
from kindred.core.rate_window import RateWindow
from kindred.services.deps import Deps


class SystemClock:
    def now(self) -> float:
        return time.time()


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def _http_session() -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@cache
def _rate_window(provider: str) -> RateWindow:
    """One per upstream per instance: a 429 heard by one step holds back this instance's next."""
    return RateWindow()


def deps(config: Settings | None = None) -> Deps:
    config = config or settings()
    meter = Meter()
    return Deps(
        settings=config,
        store=FirestoreJobStore(firestore_client(config), meter, config.collection_prefix),
        blobs=GcsBlobStore(
            storage_client(config), config.bucket, meter, config.storage_emulator_host
        ),
        queue=CloudTaskQueue(
            tasks_client(config),
            f"projects/{config.project}/locations/{config.location}",
            config.tasks_url,
            meter,
            config.service_account,
            config.tasks_body_key,
        ),
        graph=lambda provider: BlueskyGraph(
            config.provider_url(provider),
            meter,
            _http_session(),
            config.upstream_timeout,
            _rate_window(provider),
        ),
        clock=SystemClock(),
        meter=meter,
        resolve=webhook.resolve,
        notify=webhook.notify,
        mailer=mailer(config, meter),
    )


def mailer(config: Settings, meter: Meter) -> SmtpMailer | None:
    """The SMTP server of the settings (it connects only to send), or None when none is set."""
    if not config.smtp_host:
        return None
    helo = sender_domain(config.mail_from, "localhost")
    return SmtpMailer(config.smtp_host, config.smtp_port, config.smtp_security, config.smtp_user,
                      config.smtp_password, config.smtp_timeout, meter, helo)  # fmt: skip
