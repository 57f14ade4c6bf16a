"""An account's PDS, from its DID document (atproto.com/specs/did): where its blobs are.

Pure: the URL to fetch a DID's document from, and the PDS endpoint a fetched document names,
checked once here. A document is outside data, so whatever is not of the documented shape is
refused with a reason the collection records for the account (FailedForGood):
- `unsupported_did`: a DID method atproto does not use (only `did:plc` and `did:web`), or a
  did:web with a path (atproto's did:web is host-level only);
- `bad_did_document`: not a JSON object, or a document for another DID (`id` differs);
- `no_pds`: no service `#atproto_pds` of type `AtprotoPersonalDataServer`;
- `bad_pds_endpoint`: an endpoint that is not a bare http(s) origin (no credentials, path,
  query or fragment; the host a valid name or address).
Whether the endpoint's host may be reached (public addresses only) is `pds_allowed`'s to say
with a resolver, at the adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from kindred.core.errors import FailedForGood, InvalidInput
from kindred.core.netguard import _is_ip, check_public_url, forbidden_reason, url_host

PDS_ID = "#atproto_pds"
PDS_TYPE = "AtprotoPersonalDataServer"
MAX_SERVICES = 100  # services looked at in one document: a hostile one may list millions
MAX_ENDPOINT = 2048


def document_url(did: str, plc_directory: str) -> str:
    """Where the DID's document is: `{plc_directory}/{did}` or did:web's well-known URL."""
    if did.startswith("did:plc:"):
        return f"{plc_directory.rstrip('/')}/{did}"
    if did.startswith("did:web:"):
        raw = did[len("did:web:") :]  # a colon would start a path; `%3A` encodes a port
        host = unquote(raw)
        if not raw or ":" in raw or "/" in host or "@" in host or host.count(":") > 1:
            raise FailedForGood(f"{did[:80]}: not a host-level did:web", "unsupported_did")
        return f"https://{host}/.well-known/did.json"
    raise FailedForGood(f"{did[:80]}: atproto uses did:plc and did:web only", "unsupported_did")


def pds_endpoint(did: str, document: Any) -> str:
    """The origin of the document's `#atproto_pds` service (`https://host[:port]`)."""
    if not isinstance(document, dict):
        raise FailedForGood(f"{did}: its DID document is not an object", "bad_did_document")
    if document.get("id") != did:
        named = str(document.get("id"))[:80]
        raise FailedForGood(f"{did}: its DID document is {named!r}'s", "bad_did_document")
    services = document.get("service")
    if not isinstance(services, list):
        raise FailedForGood(f"{did}: its DID document lists no service", "no_pds")
    for service in services[:MAX_SERVICES]:
        if (
            isinstance(service, dict)
            and service.get("id") in (PDS_ID, f"{did}{PDS_ID}")
            and service.get("type") == PDS_TYPE
        ):
            return _origin(did, service.get("serviceEndpoint"))
    raise FailedForGood(f"{did}: its DID document names no {PDS_ID} service", "no_pds")


def _origin(did: str, endpoint: Any) -> str:
    # urlsplit drops tabs and newlines, so `https://a.com\n.evil.com` would read as evil.com's
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT or not endpoint.isprintable():
        raise FailedForGood(f"{did}: a PDS endpoint that is no URL", "bad_pds_endpoint")
    try:
        host = url_host(endpoint, "serviceEndpoint")
        parts = urlsplit(endpoint)
    except InvalidInput as error:
        raise FailedForGood(f"{did}: PDS endpoint {error}", "bad_pds_endpoint") from error
    if parts.path not in ("", "/") or parts.query or parts.fragment or "#" in endpoint:
        raise FailedForGood(
            f"{did}: PDS endpoint {endpoint[:80]!r} is not a bare origin", "bad_pds_endpoint"
        )
    return _joined(parts.scheme, host, parts.port)


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercase, to compare origins by ("" if none)."""
    try:
        parts = urlsplit(url)
        return _joined(parts.scheme.lower(), (parts.hostname or "").rstrip("."), parts.port)
    except ValueError:  # a port that is no number
        return ""


def _joined(scheme: str, host: str, port: int | None) -> str:
    named = f"[{host}]" if ":" in host else host
    return f"{scheme}://{named}" + (f":{port}" if port is not None else "")


def pds_allowed(url: str, trusted: Iterable[str], resolve: Callable[[str], Iterable[str]]) -> None:
    """Raise FailedForGood(`pds_not_allowed`) unless the URL may be reached: its origin is
    one the operator configured (the AppView, the PLC directory), or it is https to a host
    whose every address is public (netguard, as for callbacks)."""
    if origin(url) in {origin(t) for t in trusted}:
        return
    if not url.startswith("https://"):
        raise FailedForGood(f"{url[:80]}: a PDS is reached over https only", "pds_not_allowed")
    try:
        host = url_host(url, "serviceEndpoint")
        literal = _is_ip(host) and forbidden_reason(host)  # whatever a resolver says of it
        if literal:
            raise InvalidInput(f"serviceEndpoint host {host!r} is not allowed: {literal}")
        check_public_url(url, resolve, "serviceEndpoint")
    except InvalidInput as error:
        raise FailedForGood(str(error), "pds_not_allowed") from error
