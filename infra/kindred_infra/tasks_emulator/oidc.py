"""OIDC tokens as Cloud Tasks adds them, signed with the local stack's key, and its certificate.

The stack makes one RSA key and a self-signed X.509 certificate (`ensure_key_file`), once, in
one PEM file of its home (mode 600). The emulator signs RS256 tokens with the claims Google
signs for Cloud Tasks and serves the certificate in Google's v1 format (`{kid: PEM}`, as
https://www.googleapis.com/oauth2/v1/certs), so the functions check local tokens exactly as
they check Google's: `google.oauth2.id_token.verify_token` with `KINDRED_GOOGLE_CERTS_URL`.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

ISSUER = "https://accounts.google.com"
# Google's tokens live an hour; a local one is signed at each attempt and needs to outlive only
# that delivery (its dispatch deadline is 120 s: kindred.adapters.cloud_tasks).
LIFETIME_SECONDS = 300
CERTIFICATE_DAYS = 3650  # made once per stack home and reused: the key outlives any run


@dataclass(frozen=True)
class SigningKey:
    """The stack's private key, named by the certificate that checks what it signs."""

    signer: crypt.RSASigner
    certificate_pem: bytes

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        """Reads a file `ensure_key_file` made; raises OSError or ValueError for another."""
        data = path.read_bytes()
        certificate = x509.load_pem_x509_certificate(data)
        # The kid names the certificate: its SHA-1 fingerprint, 40 hex digits like Google's.
        key_id = certificate.fingerprint(hashes.SHA1()).hex()
        return cls(
            crypt.RSASigner.from_string(data, key_id=key_id),
            certificate.public_bytes(serialization.Encoding.PEM),
        )

    @property
    def key_id(self) -> str:
        return str(self.signer.key_id)

    def sign(self, audience: str, email: str, now: float) -> str:
        """An RS256 token with the claims Google signs for a Cloud Tasks OIDC token."""
        subject = _subject(email)
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "azp": subject,
            "sub": subject,
            "email": email,
            "email_verified": True,
            "iat": int(now),
            "exp": int(now) + LIFETIME_SECONDS,
        }
        return jwt.encode(self.signer, claims).decode()

    def certs(self) -> dict[str, str]:
        """The certificates document, in the format of Google's oauth2/v1/certs."""
        return {self.key_id: self.certificate_pem.decode()}


def ensure_key_file(path: Path) -> Path:
    """Makes an RSA key and its self-signed certificate in `path` (mode 600) unless it exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(b"".join(new_key_and_certificate()))
    partial.replace(path)
    return path


def new_key_and_certificate(
    common_name: str = "kindred local Cloud Tasks", days: int = CERTIFICATE_DAYS
) -> tuple[bytes, bytes]:
    """A new RSA key and its self-signed certificate, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private, certificate.public_bytes(serialization.Encoding.PEM)


def _subject(email: str) -> str:
    """A stable 21-digit number for the account, the shape of a service account's unique id."""
    digest = hashlib.sha256(email.encode()).digest()
    return str(10**20 + int.from_bytes(digest[:8], "big") % (9 * 10**20))
