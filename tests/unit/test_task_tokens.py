import pytest

from kindred.core.task_tokens import BadToken, sign_local, verify_local

KEY, AUD, EMAIL, NOW = b"k" * 32, "http://127.0.0.1:8651", "tasks@kindred-local", 1_800_000_000.0


def test_a_token_signed_with_the_key_verifies():
    claims = verify_local(KEY, sign_local(KEY, AUD, EMAIL, NOW), AUD, EMAIL, NOW + 10)
    assert (claims.email, claims.audience) == (EMAIL, AUD)


@pytest.mark.parametrize(
    ("token_key", "audience", "email", "at", "words"),
    [
        (b"x" * 32, AUD, EMAIL, NOW, "signature"),
        (KEY, "http://elsewhere", EMAIL, NOW, "audience"),
        (KEY, AUD, "someone@else", NOW, "signed for"),
        (KEY, AUD, EMAIL, NOW + 7200, "expired"),
    ],
)
def test_forged_misdirected_or_expired_tokens_are_refused(token_key, audience, email, at, words):
    token = sign_local(token_key, AUD, EMAIL, NOW)
    with pytest.raises(BadToken, match=words):
        verify_local(KEY, token, audience, email, at)


def test_a_token_with_its_claims_changed_is_refused():
    header, _, signature = sign_local(KEY, AUD, EMAIL, NOW).split(".")
    forged = sign_local(KEY, AUD, "admin@x", NOW).split(".")[1]
    with pytest.raises(BadToken, match="signature"):
        verify_local(KEY, f"{header}.{forged}.{signature}", AUD, "admin@x", NOW)
    with pytest.raises(BadToken, match="not a JWT"):
        verify_local(KEY, "garbage", AUD, EMAIL, NOW)
