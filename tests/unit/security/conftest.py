"""Key material and a token service for the security unit tests."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fastmvc.security import MemoryTokenStore, TokenService
from fastmvc.settings import Settings

SECRET = "unit-test-hmac-key-0123456789abcdef0123456789"


def pem_pair(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="session")
def rsa_pems() -> tuple[str, str]:
    return pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ec_pems() -> tuple[str, str]:
    return pem_pair(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def hs_settings() -> Settings:
    return Settings(jwt_secret_key=SECRET, jwt_issuer="fastmvc-tests", jwt_audience="fastmvc-api")


@pytest.fixture
def tokens(hs_settings: Settings) -> TokenService:
    return TokenService.from_settings(hs_settings, MemoryTokenStore())
