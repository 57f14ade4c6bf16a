"""The one wiring module: settings in, a `Deps` of real adapters out, one per invocation.

Clients are built lazily and cached (`adapters.clients`); adapters are cheap wrappers that
carry this invocation's Meter, so each step counts what it spends.
"""

from __future__ import annotations

import functools
import time
from functools import cache

import requests

from kindred.adapters import pinned, webhook
from kindred.adapters.bluesky import BlueskyGraph
from kindred.adapters.clients import firestore_client, storage_client, tasks_client
from kindred.adapters.cloud_tasks import CloudTaskQueue
from kindred.adapters.firestore_store import FirestoreJobStore
from kindred.adapters.gcs_blobs import GcsBlobStore
from kindred.adapters.mastodon import MastodonGraph
from kindred.adapters.smtp_mail import SmtpMailer
from kindred.config import Settings
from kindred.core.cost import Meter
from kindred.core.mail import sender_domain
from kindred.core.netguard import check_public_url
from kindred.core.rate_window import RateWindow
from kindred.core.sources import mastodon_host
from kindred.ports import GraphSource
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


def graph(config: Settings, provider: str, meter: Meter) -> GraphSource:
    """The provider's graph source: a Mastodon home server's over pinned connections, checked
    to be public unless it is the configured local one; the AppView dialect's otherwise."""
    url, window = config.provider_url(provider), _rate_window(provider)
    host = mastodon_host(provider)
    if host is None:
        return BlueskyGraph(url, meter, _http_session(), config.upstream_timeout, window)
    public = functools.partial(check_public_url, field="account")
    guard = pinned.configured(url) if host == config.mastodon_local_host else public
    return MastodonGraph(host, url, meter, guard, pinned.resolve, config.upstream_timeout, window)


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
        graph=lambda provider: graph(config, provider, meter),
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
