"""An account's PDS, from its DID document: one upstream call, counted like the others.

`did:plc` documents come from the PLC directory (`settings.plc_directory`), `did:web` ones
from the DID's own host (checked by `guard` first: the DID is outside data). The answer is read
as the AppView's are (`bluesky._read`: streamed, one deadline, a size cap); what it says is
checked by `core.did_document`, and the endpoint by `guard` before anyone connects to it.
A 4xx (PLC's 404 and 410: an unknown or tombstoned DID) is FailedForGood(`did_not_found`);
408, 429, 5xx, timeouts and garbled bodies are RetryLater, as everywhere.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import requests

from kindred.adapters.bluesky import _read, _reset_at
from kindred.core.cost import Meter
from kindred.core.did_document import document_url, pds_endpoint
from kindred.core.errors import FailedForGood, RetryLater

METHOD = "DID document"


class DidResolver:
    """`pds(did)`: the origin of the account's PDS; `guard(url)` raises for a host not allowed."""

    def __init__(
        self,
        session: requests.Session,
        meter: Meter,
        plc_directory: str,
        guard: Callable[[str], None],
        timeout: float = 10.0,
    ):
        self.session, self.meter, self.guard, self.timeout = session, meter, guard, timeout
        self.plc_directory = plc_directory

    def pds(self, did: str) -> str:
        url = document_url(did, self.plc_directory)
        if not did.startswith("did:plc:"):
            self.guard(url)
        self.meter.upstream_calls += 1
        deadline = time.monotonic() + self.timeout
        try:
            response = self.session.get(url, timeout=self.timeout, stream=True)
        except requests.RequestException as error:
            raise RetryLater(f"{METHOD} of {did}: {type(error).__name__}: {error}") from error
        with response:
            data = _read(METHOD, response, deadline, self.timeout)
        status = response.status_code
        if 400 <= status < 500 and status not in (408, 429):  # 404, 410: unknown, tombstoned
            raise FailedForGood(f"{METHOD} of {did}: {status} from {url[:200]}", "did_not_found")
        if status == 429:
            raise RetryLater(f"{METHOD} of {did}: rate limited", retry_at=_reset_at(response))
        if status != 200:
            raise RetryLater(f"{METHOD} of {did}: {url[:200]} answered {status}")
        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as error:
            raise RetryLater(f"{METHOD} of {did}: malformed body ({str(error)[:200]})") from error
        endpoint = pds_endpoint(did, document)
        self.guard(endpoint)
        return endpoint
