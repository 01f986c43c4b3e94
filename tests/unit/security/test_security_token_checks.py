"""TokenService's checks one by one: what is refused, why it is logged, and the exact limits."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from jose import jwt
from redis.asyncio import Redis

from fastmvc.errors import UnauthorizedError
from fastmvc.security import MemoryTokenStore, RedisTokenStore, TokenService, build_token_service
from fastmvc.security._keys import JWTKeys
from fastmvc.settings import Settings

ISSUER, AUDIENCE = "fastmvc-tests", "fastmvc-api"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "u1",
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
        "typ": "access",
        "fam": "f1",
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def refusal(
    tokens: TokenService, token: str, caplog: pytest.LogCaptureFixture
) -> tuple[UnauthorizedError, str]:
    """Decode ``token`` as an access token; return the error and the reason that was logged."""
    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="fastmvc.security"),
        pytest.raises(UnauthorizedError) as info,
    ):
        tokens.decode(token, typ="access")
    reasons = [r.getMessage() for r in caplog.records if r.name == "fastmvc.security"]
    assert len(reasons) == 1, reasons
    return info.value, reasons[0]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"typ": None}, "token refused: missing claim typ"),
        ({"fam": None}, "token refused: missing claim fam"),
        # Shapes jose lets through, so only FastMVC's own checks stand in the way.
        ({"exp": "9999999999"}, "token refused: non-numeric claim exp"),
        ({"iat": True}, "token refused: non-numeric claim iat"),
        ({"fam": ""}, "token refused: bad claim fam"),
        ({"fam": 123}, "token refused: bad claim fam"),
        ({"typ": 5}, "token refused: bad claim typ"),
        ({"typ": "refresh"}, "token refused: 'refresh' token presented as 'access'"),
    ],
)
def test_each_refusal_logs_its_reason_and_answers_invalid_token(
    tokens: TokenService,
    secret: str,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    reason: str,
) -> None:
    error, logged = refusal(tokens, jwt.encode(claims(**changes), secret), caplog)

    assert logged == reason
    assert error.status_code == 401
    assert str(error.message) == "Invalid token"
    assert error.response_key == "error_unauthorized"
    assert error.headers == {"WWW-Authenticate": "Bearer"}


def test_expiry_logs_expired_and_says_token_expired(
    tokens: TokenService, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 3600), secret)
    error, logged = refusal(tokens, token, caplog)
    assert logged == "token refused: expired"
    assert (error.message, error.response_key) == ("Token expired", "error_token_expired")


def test_a_bad_signature_logs_the_jose_error(
    tokens: TokenService, caplog: pytest.LogCaptureFixture
) -> None:
    token = jwt.encode(claims(), "some-other-secret-0123456789abcdef0123")
    _error, logged = refusal(tokens, token, caplog)
    assert logged == "token refused: rejected by jose: JWTError"


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_with_the_right_secret_are_refused(
    tokens: TokenService, secret: str, caplog: pytest.LogCaptureFixture, algorithm: str
) -> None:
    token = jwt.encode(claims(), secret, algorithm=algorithm)
    _error, logged = refusal(tokens, token, caplog)
    assert logged.startswith("token refused: rejected by jose")
    # The control: the same claims under the configured algorithm pass.
    assert tokens.decode(jwt.encode(claims(), secret, algorithm="HS256"), typ="access").sub == "u1"


@pytest.mark.parametrize(
    "changes", [{"iss": "https://evil.example"}, {"iss": None}, {"aud": "other"}, {"aud": None}]
)
def test_issuer_and_audience_are_required_when_configured(
    tokens: TokenService, secret: str, caplog: pytest.LogCaptureFixture, changes: dict[str, Any]
) -> None:
    _error, logged = refusal(tokens, jwt.encode(claims(**changes), secret), caplog)
    assert logged.startswith("token refused: rejected by jose")


def test_size_limit_is_inclusive_and_defaults_to_4096_bytes(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = TokenService(JWTKeys("HS256", secret, secret), MemoryTokenStore())
    too_big = "x" * 4097
    at_limit = "x" * 4096
    assert refusal(tokens, too_big, caplog)[1] == (
        "token refused: token larger than the configured maximum"
    )
    # 4096 bytes pass the size check and fail later, as what they are: not a JWT.
    assert refusal(tokens, at_limit, caplog)[1].startswith("token refused: rejected by jose")


def test_size_limit_counts_utf8_bytes(secret: str, caplog: pytest.LogCaptureFixture) -> None:
    tokens = TokenService(JWTKeys("HS256", secret, secret), MemoryTokenStore())
    assert refusal(tokens, "é" * 2049, caplog)[1].endswith("larger than the configured maximum")


def test_from_settings_passes_every_limit(secret: str, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        jwt_secret_key=secret,
        jwt_access_token_minutes=5,
        jwt_refresh_token_days=2,
        jwt_leeway_seconds=0,
        jwt_max_token_bytes=300,
    )
    tokens = TokenService.from_settings(settings, MemoryTokenStore())
    pair = tokens.issue("u1")
    refresh = tokens.decode(pair.refresh_token, typ="refresh")

    assert pair.expires_in == 300
    # iat keeps sub-second precision (per-user revocation marks compare it); exp is whole.
    assert refresh.exp - int(refresh.claims["iat"]) == 2 * 24 * 3600
    assert refusal(tokens, "x" * 301, caplog)[1].endswith("larger than the configured maximum")
    # No leeway: a token expired one second ago is refused.
    stale = jwt.encode(claims(exp=int(time.time()) - 2, iss=None, aud=None), secret)
    assert refusal(tokens, stale, caplog)[1] == "token refused: expired"


class RecordingStore(MemoryTokenStore):
    def __init__(self) -> None:
        super().__init__()
        self.family_deadlines: list[int] = []

    async def revoke_family(self, fam: str, *, until: int) -> None:
        self.family_deadlines.append(until)
        await super().revoke_family(fam, until=until)


@pytest.mark.parametrize(("leeway", "expected_extra"), [(None, 10), (0, 0), (30, 30)])
async def test_a_family_is_revoked_for_the_refresh_lifetime_plus_the_leeway(
    secret: str, leeway: int | None, expected_extra: int
) -> None:
    store = RecordingStore()
    options = {} if leeway is None else {"leeway_seconds": leeway}
    tokens = TokenService(JWTKeys("HS256", secret, secret), store, **options)  # type: ignore[arg-type]
    principal = await tokens.verify_access(tokens.issue("u1").access_token)

    before = int(time.time())
    await tokens.logout(principal)
    after = int(time.time())

    (until,) = store.family_deadlines
    assert (
        before + 7 * 24 * 3600 + expected_extra <= until <= after + 7 * 24 * 3600 + expected_extra
    )


async def test_revoke_refuses_that_token_and_spares_the_rest_of_its_family(
    tokens: TokenService,
) -> None:
    pair = tokens.issue("u1")
    access = await tokens.verify_access(pair.access_token)

    await tokens.revoke(access)

    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(pair.access_token)
    assert await tokens.store.is_revoked(access.jti, access.fam)
    assert not await tokens.store.is_revoked("another-jti", access.fam)
    rotated = await tokens.refresh(pair.refresh_token)  # the family lives on
    assert (await tokens.verify_access(rotated.access_token)).fam == access.fam


async def test_a_used_refresh_token_is_recorded_in_its_own_family(tokens: TokenService) -> None:
    pair = tokens.issue("u1")
    used = tokens.decode(pair.refresh_token, typ="refresh")

    await tokens.refresh(pair.refresh_token)

    assert await tokens.store.is_revoked(used.jti, used.fam)
    assert not await tokens.store.is_revoked("another-jti", used.fam)


async def test_reuse_is_logged_with_its_family(
    tokens: TokenService, caplog: pytest.LogCaptureFixture
) -> None:
    pair = tokens.issue("u1")
    fam = tokens.decode(pair.refresh_token, typ="refresh").fam
    await tokens.refresh(pair.refresh_token)
    with caplog.at_level(logging.INFO, logger="fastmvc.security"), pytest.raises(UnauthorizedError):
        await tokens.refresh(pair.refresh_token)
    assert f"token refused: refresh token reuse in family {fam}" in caplog.messages


async def test_a_revoked_token_is_logged_as_revoked(
    tokens: TokenService, caplog: pytest.LogCaptureFixture
) -> None:
    pair = tokens.issue("u1")
    await tokens.revoke(await tokens.verify_access(pair.access_token))
    with caplog.at_level(logging.INFO, logger="fastmvc.security"), pytest.raises(UnauthorizedError):
        await tokens.verify_access(pair.access_token)
    assert caplog.messages == ["token refused: revoked"]


def test_issued_tokens_carry_nbf_and_128_bit_ids(tokens: TokenService) -> None:
    pair = tokens.issue("u1")
    for token in (pair.access_token, pair.refresh_token):
        issued = jwt.get_unverified_claims(token)
        # nbf is whole seconds; iat keeps the sub-second part revocation marks compare.
        assert issued["nbf"] == int(issued["iat"])
        assert len(issued["jti"]) == len(issued["fam"]) == 22  # token_urlsafe(16)


@pytest.mark.parametrize(("redis_timeout", "store_timeout"), [(0.2, 1.0), (1.5, 3.0)])
def test_with_redis_the_store_is_redis_with_twice_the_redis_timeout(
    redis_timeout: float, store_timeout: float
) -> None:
    client = Redis()  # never connected: building the service sends nothing
    service = build_token_service(Settings(redis_timeout_seconds=redis_timeout), client)
    store = service.store
    assert isinstance(store, RedisTokenStore)
    assert store._redis is client
    assert store._timeout == store_timeout
