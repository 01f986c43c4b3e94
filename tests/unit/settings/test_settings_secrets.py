"""JWT secrets and the production guardrails (issue 8, defects 1 and 7).

Outside ``test``, a missing or placeholder secret never signs or accepts a
token; production refuses weak secrets by entropy and placeholders by whole
value only, so random secrets are never refused by accident.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt
from pydantic import ValidationError

import fastmvc.app as app_module
from fastmvc._secrets import KNOWN_PLACEHOLDERS, process_secret, secret_problem
from fastmvc.app import create_app
from fastmvc.errors import UnauthorizedError
from fastmvc.security import MemoryTokenStore, TokenService
from fastmvc.settings import Settings

REPO = Path(__file__).resolve().parents[3]
OLD_DEFAULT = "change-me-insecure-development-secret"
REDIS = "redis://127.0.0.1:1/0"
STRONG = "Q7vN2pX9rT4mW8zLk3jH6gF5dS1aP0oIuY2tR"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("JWT_SECRET_KEY", "ENVIRONMENT", "REDIS_URL", "DOCS_ENABLED", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _forged(secret: str, sub: str = "1") -> str:
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + 600, "jti": "j", "typ": "access", "fam": "f"}
    token: str = jwt.encode(claims, secret, algorithm="HS256")
    return token


def _repository_secrets() -> set[str]:
    """Every JWT_SECRET_KEY value written in this repository's templates and compose files."""
    found: set[str] = set()
    sources = [
        *(REPO / "cli" / "fastmvc_cli" / "templates").rglob("*"),
        *(REPO / "docker").rglob("*"),
    ]
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for value in re.findall(r"JWT_SECRET_KEY[=:]\s*(\S*)", text):
            if "{{" in value:  # the generated .env's fresh random secret
                continue
            # compose: ${JWT_SECRET_KEY:-default} or ${JWT_SECRET_KEY:?message}
            default = re.fullmatch(r"\$\{JWT_SECRET_KEY:-(.*)\}", value)
            found.add(default.group(1) if default else value)
    return found


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_old_default_and_every_placeholder_never_verify(environment: str) -> None:
    for placeholder in [OLD_DEFAULT, "change-me", "", *sorted(KNOWN_PLACEHOLDERS)]:
        if environment == "production":
            with pytest.raises(ValidationError, match="missing or a placeholder"):
                Settings(environment="production", redis_url=REDIS, jwt_secret_key=placeholder)  # type: ignore[arg-type]
            continue
        settings = Settings(environment="development", jwt_secret_key=placeholder)  # type: ignore[arg-type]
        assert settings.jwt_secret_is_ephemeral
        tokens = TokenService.from_settings(settings, MemoryTokenStore())
        with pytest.raises(UnauthorizedError):
            tokens.decode(_forged(placeholder), typ="access")
        # What it signs, it still verifies (within this process).
        pair = tokens.issue(1)
        assert tokens.decode(pair.access_token, typ="access").sub == "1"


def test_no_secret_means_one_random_secret_per_process() -> None:
    first, second = Settings(), Settings()
    value = first.jwt_secret_key.get_secret_value()
    assert first.jwt_secret_is_ephemeral
    assert value == second.jwt_secret_key.get_secret_value() == process_secret()
    assert len(value) >= 48
    assert secret_problem(value) is None
    assert OLD_DEFAULT not in Path(REPO / "fastmvc" / "settings.py").read_text()


def test_no_secret_written_in_the_repository_verifies_a_token() -> None:
    written = _repository_secrets()
    assert "change-me" in written  # .env.example: the scan sees the templates
    for value in written:
        settings = Settings(environment="development", jwt_secret_key=value)  # type: ignore[arg-type]
        assert settings.jwt_secret_is_ephemeral, value
        with pytest.raises(ValidationError):
            Settings(environment="production", redis_url=REDIS, jwt_secret_key=value)  # type: ignore[arg-type]


def test_a_real_secret_is_kept_in_development() -> None:
    settings = Settings(jwt_secret_key=STRONG)  # type: ignore[arg-type]
    assert not settings.jwt_secret_is_ephemeral
    assert settings.jwt_secret_key.get_secret_value() == STRONG


def test_production_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET_KEY is missing"):
        Settings(environment="production", redis_url=REDIS)


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 32,
        "a" * 64,
        "1234567890" * 4,
        "12345678901234567890123456789012",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        "passwordpasswordpasswordpassword",
        "abababababababababababababababab",
    ],
)
def test_low_entropy_secrets_are_refused_in_production(weak: str) -> None:
    with pytest.raises(ValidationError, match="too little entropy"):
        Settings(environment="production", redis_url=REDIS, jwt_secret_key=weak)  # type: ignore[arg-type]


def test_random_secrets_are_never_refused_for_what_they_contain() -> None:
    # Substrings the old check refused on sight, inside otherwise random values.
    for marker in ("xxx", "secret", "example", "change-me", "placeholder", "XxX"):
        value = secrets.token_urlsafe(24) + marker + secrets.token_urlsafe(24)
        Settings(environment="production", redis_url=REDIS, jwt_secret_key=value)  # type: ignore[arg-type]
    refused = [
        value
        for value in (secrets.token_urlsafe(48) for _ in range(20_000))
        if secret_problem(value) is not None
    ]
    assert refused == []


def test_pem_private_keys_are_accepted_in_production() -> None:
    for _ in range(8):
        for key in (
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            ec.generate_private_key(ec.SECP256R1()),
        ):
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            assert secret_problem(pem) is None
            Settings(
                environment="production",
                redis_url=REDIS,
                jwt_algorithm="RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256",
                jwt_secret_key=pem,  # type: ignore[arg-type]
                jwt_public_key="unused-here",  # type: ignore[arg-type]
            )
    # The same check reads a PEM that happens to contain "xxx" the same way.
    assert secret_problem(pem.replace(pem[40:43], "xxx")) is None


def _production(**changes: object) -> Settings:
    return Settings(environment="production", redis_url=REDIS, jwt_secret_key=STRONG, **changes)  # type: ignore[arg-type]


def test_docs_default_off_in_production_and_on_elsewhere() -> None:
    assert Settings().docs_enabled is True
    assert _production().docs_enabled is False
    assert _production(docs_enabled=True).docs_enabled is True
    app = create_app(_production(), setup_logging=False)
    assert (app.docs_url, app.redoc_url, app.openapi_url) == (None, None, None)
    enabled = create_app(_production(docs_enabled=True), setup_logging=False)
    assert enabled.docs_url == "/docs"


@pytest.mark.parametrize("environment", ["development", "production"])
def test_cors_wildcard_with_credentials_is_refused(environment: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS=\\*"):
        Settings(
            environment=environment,  # type: ignore[arg-type]
            redis_url=REDIS,
            jwt_secret_key=STRONG,  # type: ignore[arg-type]
            cors_origins=["*"],
            cors_allow_credentials=True,
        )
    # Either one alone is fine.
    Settings(cors_origins=["*"])
    Settings(cors_origins=["https://app.example"], cors_allow_credentials=True)


def test_rate_limiting_off_in_production_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="fastmvc.security"):
        create_app(_production(rate_limit_enabled=False), setup_logging=False)
        create_app(_production(), setup_logging=False)
    warnings = [r.getMessage() for r in caplog.records if "RATE_LIMIT_ENABLED" in r.getMessage()]
    assert len(warnings) == 1


def test_a_missing_secret_is_one_loud_warning_per_process(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "_warned_ephemeral_secret", False)
    with caplog.at_level(logging.WARNING, logger="fastmvc.security"):
        for _ in range(3):
            create_app(Settings(), setup_logging=False)
        create_app(Settings(environment="test"), setup_logging=False)
        create_app(Settings(jwt_secret_key=STRONG), setup_logging=False)  # type: ignore[arg-type]
    loud = [r for r in caplog.records if "JWT_SECRET_KEY is not set" in r.getMessage()]
    assert len(loud) == 1
    assert loud[0].levelno == logging.WARNING
