"""Turn the JWT settings into a signing key and a verifying key."""

from __future__ import annotations

from dataclasses import dataclass

from fastmvc.settings import Settings

__all__ = ["SUPPORTED_ALGORITHMS", "JWTKeys", "keys_from_settings"]

_HMAC = frozenset({"HS256", "HS384", "HS512"})
_ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
SUPPORTED_ALGORITHMS = _HMAC | _ASYMMETRIC


@dataclass(frozen=True, slots=True)
class JWTKeys:
    """The one algorithm we accept and the key material for it."""

    algorithm: str
    signing_key: str
    verifying_key: str


def keys_from_settings(settings: Settings) -> JWTKeys:
    """Read ``JWT_ALGORITHM``, ``JWT_SECRET_KEY`` and ``JWT_PUBLIC_KEY``.

    HS* signs and verifies with the shared secret. RS* and ES* sign with the
    PEM private key in ``JWT_SECRET_KEY`` and verify with the PEM public key in
    ``JWT_PUBLIC_KEY``.

    Raises:
        ValueError: On an unsupported algorithm (``none`` included) or a
            missing public key, so a misconfigured app fails at start-up.
    """
    algorithm = settings.jwt_algorithm.upper()
    if algorithm not in SUPPORTED_ALGORITHMS:
        supported = ", ".join(sorted(SUPPORTED_ALGORITHMS))
        raise ValueError(f"JWT_ALGORITHM {settings.jwt_algorithm!r} is not one of {supported}")
    secret = settings.jwt_secret_key.get_secret_value()
    if algorithm in _HMAC:
        return JWTKeys(algorithm, secret, secret)
    if settings.jwt_public_key is None:
        raise ValueError(f"JWT_ALGORITHM {algorithm} needs JWT_PUBLIC_KEY (a PEM public key)")
    return JWTKeys(algorithm, secret, settings.jwt_public_key.get_secret_value())
