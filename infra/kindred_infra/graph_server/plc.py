"""DID documents in the PLC directory's shape (`GET /{did}` at plc.directory), with --media.

Each account of the graph gets the document plc.directory would serve: its handle in
`alsoKnownAs`, an atproto signing key, and its PDS, the `#atproto_pds` service, whose endpoint
is this server (the base URL it was reached at), which also answers getBlob. So a client that
resolves an account's PDS as it would on Bluesky (a PLC directory, then the PDS) runs against
the local stack unchanged. The key is derived from the DID and well formed (a compressed
secp256k1 point's encoding, multibase base58btc), but no one holds it: nothing signs here.
An unknown DID gets PLC's 404 `DID not registered`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kindred_infra.graph_server.graph import Graph
from kindred_infra.graph_server.identity import Identity

CONTEXT = (
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/secp256k1-2019/v1",
)
SECP256K1_PUB = b"\xe7\x01"  # multicodec secp256k1-pub, varint
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def did_document(
    graph: Graph, identity: Identity, did: str, base_url: str
) -> dict[str, Any] | None:
    """The account's DID document, or None when the DID is none of the graph's accounts."""
    account = identity.resolve(did) if did.startswith("did:plc:") else None
    if account is None or graph.index_of(account) is None:
        return None
    return {
        "@context": list(CONTEXT),
        "id": did,
        "alsoKnownAs": [f"at://{identity.handle(account)}"],
        "verificationMethod": [
            {
                "id": f"{did}#atproto",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": "z" + _base58(SECP256K1_PUB + _key(did)),
            }
        ],
        "service": [
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": base_url}
        ],
    }


def not_registered(did: str) -> dict[str, str]:
    return {"message": f"DID not registered: {did[:200]}"}


def _key(did: str) -> bytes:
    digest = hashlib.sha256(f"plc-key|{did}".encode()).digest()
    return bytes([2 + digest[0] % 2]) + digest  # 33 bytes: a compressed point's layout


def _base58(data: bytes) -> str:
    value, out = int.from_bytes(data, "big"), ""
    while value:
        value, digit = divmod(value, 58)
        out = _B58[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out
