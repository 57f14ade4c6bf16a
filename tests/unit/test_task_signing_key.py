"""The stack's task signing key: made once (mode 600), signing the claims Google signs, RS256."""

import stat
import time

import pytest
from google.auth import exceptions, jwt

from kindred_infra.tasks_emulator import oidc

AUD, EMAIL = "http://127.0.0.1:8651", "kindred-tasks@kindred-local.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    return oidc.ensure_key_file(tmp_path_factory.mktemp("home") / "tasks_signing_key.pem")


def test_the_key_is_made_once_private_and_then_reused(key_file):
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    made = key_file.read_bytes()
    assert oidc.ensure_key_file(key_file).read_bytes() == made
    assert b"PRIVATE KEY" in made and b"CERTIFICATE" in made


def test_a_token_carries_googles_claims_for_a_delivery_and_names_its_certificate(key_file):
    key = oidc.SigningKey.load(key_file)
    token = key.sign(AUD, EMAIL, now=1_800_000_000.5)
    header = jwt.decode_header(token)
    assert header["alg"] == "RS256" and header["kid"] == key.key_id
    assert list(key.certs()) == [key.key_id]
    claims = jwt.decode(token, certs=key.certs(), verify=False)
    assert claims["iss"] == "https://accounts.google.com"
    assert (claims["aud"], claims["email"], claims["email_verified"]) == (AUD, EMAIL, True)
    assert claims["sub"].isdigit() and len(claims["sub"]) == 21
    assert claims["iat"] == 1_800_000_000
    assert claims["exp"] - claims["iat"] == oidc.LIFETIME_SECONDS <= 300  # > a 120 s deadline


def test_the_certificate_verifies_its_own_keys_tokens_and_no_others(key_file, tmp_path):
    key = oidc.SigningKey.load(key_file)
    stranger = oidc.SigningKey.load(oidc.ensure_key_file(tmp_path / "stranger.pem"))
    now = time.time()
    assert jwt.decode(key.sign(AUD, EMAIL, now), certs=key.certs(), audience=AUD)["email"] == EMAIL
    forged = stranger.sign(AUD, EMAIL, now)
    with pytest.raises(exceptions.MalformedError):  # its kid names no certificate served
        jwt.decode(forged, certs=key.certs(), audience=AUD)
    forged_kid = jwt.encode(stranger.signer, jwt.decode(forged, verify=False), key_id=key.key_id)
    with pytest.raises(exceptions.MalformedError, match="signature"):
        jwt.decode(forged_kid, certs=key.certs(), audience=AUD)
