"""The claim checks every task token gets once google-auth has verified its signature."""

import pytest

from kindred.web.task_auth import BadToken, check_claims

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
        ({"exp": None}, NOW, "expired"),
    ],
)
def test_misdirected_expired_or_early_claims_are_refused(changes, at, words):
    given = {key: value for key, value in claims(**changes).items() if value is not None}
    with pytest.raises(BadToken, match=words):
        check_claims(given, AUD, EMAIL, at)
