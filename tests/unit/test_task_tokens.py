"""The claim checks every task token gets once google-auth has verified its signature."""

import base64
import json

import pytest

from kindred.web.task_auth import BadToken, check_claims, parse_token

AUD, EMAIL, NOW = "http://127.0.0.1:8651", "tasks@kindred-local.iam.gserviceaccount.com", 1.8e9


def claims(**changes: object) -> dict:
    return {
        "iss": "https://accounts.google.com",
        "aud": AUD,
        "email": EMAIL,
        "email_verified": True,
        "iat": int(NOW),
        "exp": int(NOW) + 300,
        **changes,
    }


@pytest.mark.parametrize("issuer", ["https://accounts.google.com", "accounts.google.com"])
def test_the_claims_google_signs_for_our_account_and_url_pass(issuer):
    check_claims(claims(iss=issuer), AUD, EMAIL, NOW + 10)


@pytest.mark.parametrize(
    ("changes", "at", "words"),
    [
        ({"iss": "https://kindred-local-tasks"}, NOW, "issuer"),
        ({"aud": "http://elsewhere"}, NOW, "audience"),
        ({"email": "someone@else"}, NOW, "signed for 'someone@else'"),
        ({"email_verified": False}, NOW, "not verified"),
        ({"email_verified": "true"}, NOW, "not verified"),
        ({}, NOW + 300 + 61, "expired"),
        ({}, NOW - 61, "future"),
        ({"exp": None}, NOW, "exp is 'None', not a number"),
        ({"exp": "abc"}, NOW, "exp is 'abc', not a number"),
        ({"exp": True}, NOW, "exp is 'True', not a number"),
        ({"exp": float("inf")}, NOW, "exp is inf, not a time"),
        ({"exp": float("nan")}, NOW, "exp is nan, not a time"),
        ({"exp": 10**400}, NOW, "not a time"),
        ({"iat": "0"}, NOW, "iat is '0', not a number"),
        ({"exp": int(NOW) + 86400}, NOW, "lives 86400 s, over 3600 s"),
    ],
)
def test_misdirected_expired_or_early_claims_are_refused(changes, at, words):
    given = {key: value for key, value in claims(**changes).items() if value is not None}
    with pytest.raises(BadToken, match=words):
        check_claims(given, AUD, EMAIL, at)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _token(header: object, payload: object) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}.c2ln"


RS256 = _b64(b'{"alg": "RS256"}')


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("", "3 parts"),
        ("a.b", "3 parts"),
        ("a.b.c.d", "3 parts"),
        ("!!!.e30.c2ln", "header is not base64url JSON"),
        (f"{_b64(b'{')}.e30.c2ln", "header is not base64url JSON"),
        (f"{_b64(b'[' * 100_000)}.e30.c2ln", "header is not base64url JSON"),
        (f"{_b64(bytes([0xFF]))}.e30.c2ln", "header is not base64url JSON"),
        ("\u00e9.e30.c2ln", "header is not base64url JSON"),
        (_token([1], claims()), "header is a JSON list"),
        (_token("RS256", claims()), "header is a JSON str"),
        (_token(None, claims()), "header is a JSON NoneType"),
        (_token({"alg": "none"}, claims()), "algorithm 'none'"),
        (_token({"alg": ["RS256"]}, claims()), "algorithm"),
        (_token({"alg": "RS256", "kid": ["k"]}, claims()), "kid"),
        (_token({"alg": "RS256"}, [claims()]), "claims is a JSON list"),
        (_token({"alg": "RS256"}, claims(exp="abc")), "exp is 'abc'"),
        (RS256 + "." + _b64(b'{"exp": 1e400, "iat": 0}') + ".c2ln", "exp is inf"),
        (RS256 + "." + _b64(b'{"exp": Infinity}') + ".c2ln", "claims is not"),
        (RS256 + "." + _b64(b'{"exp": NaN}') + ".c2ln", "claims is not"),
    ],
)
def test_every_malformed_token_is_a_bad_token_with_its_reason(token, words):
    with pytest.raises(BadToken, match=words):
        parse_token(token)


def test_a_well_formed_token_parses_to_its_header_and_claims():
    header, payload = parse_token(_token({"alg": "RS256", "kid": "k"}, claims()))
    assert header == {"alg": "RS256", "kid": "k"} and payload == claims()
