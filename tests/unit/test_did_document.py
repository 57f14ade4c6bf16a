"""An account's PDS from its DID document: where the document is, what a valid one names, and
what a hostile or malformed one gets (a reason, never a URL kindred would follow)."""

from __future__ import annotations

import pytest

from kindred.core.did_document import document_url, origin, pds_allowed, pds_endpoint
from kindred.core.errors import FailedForGood

pytestmark = pytest.mark.unit
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
PDS = "https://morel.us-east.host.bsky.network"


def document(*services, did=DID):
    return {"@context": ["https://www.w3.org/ns/did/v1"], "id": did,
            "alsoKnownAs": ["at://atproto.com"], "service": list(services)}  # fmt: skip


def pds(endpoint, id_="#atproto_pds", type_="AtprotoPersonalDataServer"):
    return {"id": id_, "type": type_, "serviceEndpoint": endpoint}


@pytest.mark.parametrize(
    ("did", "url"),
    [
        (DID, f"https://plc.directory/{DID}"),
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:localhost%3A8080", "https://localhost:8080/.well-known/did.json"),
    ],
)
def test_the_document_of_a_plc_did_is_at_the_directory_and_a_web_did_at_its_host(did, url):
    assert document_url(did, "https://plc.directory/") == url


@pytest.mark.parametrize(
    "did",
    ["did:key:z6Mkabc", "did:web:example.com:users:alice", "did:web:", "did:web:a.com%2Fpath",
     "did:web:evil.com%40good.com"],
)  # fmt: skip
def test_other_methods_and_did_web_paths_are_unsupported(did):
    with pytest.raises(FailedForGood) as refused:
        document_url(did, "https://plc.directory")
    assert refused.value.reason == "unsupported_did"


@pytest.mark.parametrize(
    ("service", "endpoint"),
    [
        (pds(PDS), PDS),
        (pds(PDS + "/"), PDS),  # a trailing slash is the same origin
        (pds("https://PDS.Example.COM:8443"), "https://pds.example.com:8443"),
        (pds(PDS, id_=f"{DID}#atproto_pds"), PDS),  # the id in full
        (pds("http://127.0.0.1:8640"), "http://127.0.0.1:8640"),  # the guard decides on hosts
    ],
)
def test_a_valid_document_names_its_pds_origin(service, endpoint):
    labeler = {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": "https://l"}
    assert pds_endpoint(DID, document(labeler, service)) == endpoint


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "bad_did_document"),
        ([], "bad_did_document"),
        ("{}", "bad_did_document"),
        ({"service": [pds(PDS)]}, "bad_did_document"),  # no id
        (document(pds(PDS), did="did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"), "bad_did_document"),
        ({"id": DID}, "no_pds"),
        ({"id": DID, "service": {"id": "#atproto_pds"}}, "no_pds"),
        (document(), "no_pds"),
        (document("x", 3, None, []), "no_pds"),
        (document(pds(PDS, type_="AtprotoLabeler")), "no_pds"),
        (document(pds(PDS, id_="#atproto_pds_old")), "no_pds"),
        (document(pds(PDS, id_="did:plc:other#atproto_pds")), "no_pds"),  # another DID's
        (document(*[pds(f"https://h{i}.example", id_="#x") for i in range(200)], pds(PDS)),
         "no_pds"),  # past the services looked at
    ],
)  # fmt: skip
def test_a_malformed_or_foreign_document_or_one_without_a_pds_is_refused(raw, reason):
    with pytest.raises(FailedForGood) as refused:
        pds_endpoint(DID, raw)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "endpoint",
    [
        None, 42, ["https://pds.example"], {"uri": PDS}, "", "pds.example.com",
        "javascript:alert(1)", "file:///etc/passwd", "ftp://pds.example.com",
        "https://user:pass@pds.example.com", "https://pds.example.com/xrpc",
        "https://pds.example.com?x=1", "https://pds.example.com#frag",
        "https://pds.example.com:99999", "https://[v1.x]/", "https://exa mple.com",
        "https://" + "a" * 2100 + ".com", "https://pds.example.com\n.evil.com",
    ],
)  # fmt: skip
def test_a_hostile_pds_endpoint_is_refused(endpoint):
    with pytest.raises(FailedForGood) as refused:
        pds_endpoint(DID, document(pds(endpoint)))
    assert refused.value.reason == "bad_pds_endpoint"


def public(host):
    return ["93.184.216.34"]


@pytest.mark.parametrize(
    ("url", "resolve"),
    [
        ("https://pds.example.com", public),
        ("http://127.0.0.1:8640", lambda host: pytest.fail("a configured origin is not looked up")),
        ("http://127.0.0.1:8640/", public),
    ],
)
def test_a_public_https_pds_or_a_configured_origin_may_be_reached(url, resolve):
    pds_allowed(url, ("http://127.0.0.1:8640", "https://plc.directory"), resolve)


@pytest.mark.parametrize(
    ("url", "resolve"),
    [
        ("http://pds.example.com", public),  # no https
        ("http://127.0.0.1:8641", public),  # another port than the configured one
        ("https://127.0.0.1", public),
        ("https://[::1]:443", public),
        ("https://169.254.169.254", public),
        ("https://metadata.google.internal", public),
        ("https://localhost:8640", public),
        ("https://rebind.example", lambda host: ["93.184.216.34", "10.0.0.1"]),
        ("https://nowhere.example", lambda host: []),
    ],
)
def test_a_pds_on_a_private_or_unresolved_host_or_without_https_may_not(url, resolve):
    with pytest.raises(FailedForGood) as refused:
        pds_allowed(url, ("http://127.0.0.1:8640",), resolve)
    assert refused.value.reason == "pds_not_allowed"


def test_origins_compare_without_case_path_or_credentials():
    assert origin("HTTP://User@127.0.0.1:8640/x?y") == "http://127.0.0.1:8640"
    assert origin("https://[::1]:8/") == "https://[::1]:8" and origin("http://h:x") == ""
