"""The graph server's DID documents (`GET /{did}`, with --media): PLC's shape, the PDS
itself, counted in /_stats, read by kindred's own parser; PLC's 404 for an unknown DID."""

from __future__ import annotations

import pytest
from support.media_session import BASE, media_service

from kindred.core.did_document import pds_endpoint
from kindred_infra import paths
from kindred_infra.graph_server.api import GraphApi
from kindred_infra.graph_server.graph import load_graph
from kindred_infra.graph_server.identity import Identity
from kindred_infra.graph_server.ratelimit import FixedWindowLimiter, RatePolicy
from kindred_infra.graph_server.service import DID_DOCUMENT, GraphService

pytestmark = pytest.mark.unit
ACCOUNT = 626373


@pytest.fixture(scope="module")
def graph():
    return load_graph(paths.DEFAULT_GRAPH)


def test_an_accounts_document_names_its_handle_key_and_this_server_as_its_pds(graph):
    service = media_service(graph)
    did = Identity("ego-twitter").did(ACCOUNT)
    reply = service.did_document(did, BASE)
    document = reply.json()
    assert reply.status == 200 and document["id"] == did
    assert document["alsoKnownAs"] == [f"at://u{ACCOUNT}.ego-twitter.test"]
    [key] = document["verificationMethod"]
    assert key["id"] == f"{did}#atproto" and key["publicKeyMultibase"].startswith("zQ3s")
    assert pds_endpoint(did, document) == BASE
    assert service.did_document(did, "http://127.0.0.1:9").json() != document  # its own URL
    assert service.stats.snapshot()["by_method"] == {DID_DOCUMENT: 2}


@pytest.mark.parametrize(
    "did",
    ["did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", Identity("other").did(ACCOUNT), "did:plc:x",
     Identity("ego-twitter").did(2**40)],  # not a DID of the graph, or no account of it
)  # fmt: skip
def test_an_unknown_did_gets_plcs_not_registered(graph, did):
    reply = media_service(graph).did_document(did, BASE)
    assert reply.status == 404 and reply.json() == {"message": f"DID not registered: {did}"}


def test_without_media_there_are_no_documents(graph):
    plain = GraphService(GraphApi(graph, Identity("ego-twitter")),
                         FixedWindowLimiter(RatePolicy.parse("0")))  # fmt: skip
    assert plain.did_document(Identity("ego-twitter").did(ACCOUNT), BASE).status == 404
    assert plain.stats.snapshot()["requests"] == 0
