"""TokenService: issuing, decoding, rotation with reuse detection, logout."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jose import jwt

from fastmvc.errors import UnauthorizedError
from fastmvc.security import MemoryTokenStore, TokenService, build_token_service
from fastmvc.security._keys import keys_from_settings
from fastmvc.settings import Settings


async def test_issue_then_verify_access(tokens: TokenService) -> None:
    pair = tokens.issue(42, claims={"role": "admin"})

    principal = await tokens.verify_access(pair.access_token)

    assert principal.sub == "42"
    assert principal.typ == "access"
    assert principal.claims["role"] == "admin"
    assert principal.claims["iss"] == "fastmvc-tests"
    assert principal.claims["aud"] == "fastmvc-api"
    assert pair.expires_in == 15 * 60
    assert pair.token_type == "bearer"
    assert principal.exp - int(time.time()) in range(15 * 60 - 5, 15 * 60 + 1)


async def test_access_and_refresh_share_a_family_but_not_a_jti(tokens: TokenService) -> None:
    pair = tokens.issue("u1")
    access = tokens.decode(pair.access_token, typ="access")
    refresh = tokens.decode(pair.refresh_token, typ="refresh")
    assert access.fam == refresh.fam
    assert access.jti != refresh.jti


@pytest.mark.parametrize(
    "reserved", ["sub", "exp", "typ", "fam", "jti", "aud", "iss", "nbf", "iat"]
)
def test_reserved_claims_cannot_be_overridden(tokens: TokenService, reserved: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        tokens.issue("u1", claims={reserved: "x"})


async def test_typ_cannot_be_swapped(tokens: TokenService) -> None:
    pair = tokens.issue("u1")
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(pair.refresh_token)
    with pytest.raises(UnauthorizedError):
        await tokens.refresh(pair.access_token)


async def test_refresh_rotates_and_keeps_family_and_custom_claims(tokens: TokenService) -> None:
    first = tokens.issue("u1", claims={"role": "admin"})

    second = await tokens.refresh(first.refresh_token)

    old = tokens.decode(first.refresh_token, typ="refresh")
    new = await tokens.verify_access(second.access_token)
    assert new.fam == old.fam
    assert new.claims["role"] == "admin"
    assert second.refresh_token != first.refresh_token
    # the new refresh token works once more
    await tokens.refresh(second.refresh_token)


async def test_reused_refresh_token_revokes_the_whole_family(tokens: TokenService) -> None:
    first = tokens.issue("u1")
    second = await tokens.refresh(first.refresh_token)

    with pytest.raises(UnauthorizedError):
        await tokens.refresh(first.refresh_token)

    # every later token of the family is now refused too
    with pytest.raises(UnauthorizedError):
        await tokens.refresh(second.refresh_token)
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(second.access_token)
    # another family (another login) is untouched
    other = tokens.issue("u1")
    assert (await tokens.verify_access(other.access_token)).sub == "u1"


async def test_logout_revokes_access_token_and_refresh_family(tokens: TokenService) -> None:
    pair = tokens.issue("u1")
    principal = await tokens.verify_access(pair.access_token)

    await tokens.logout(principal)

    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(pair.access_token)
    with pytest.raises(UnauthorizedError):
        await tokens.refresh(pair.refresh_token)


async def test_expired_token_has_its_own_short_reason(tokens: TokenService, secret: str) -> None:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "u1",
        "iat": now - 3600,
        "exp": now - 60,
        "jti": "j",
        "typ": "access",
        "fam": "f",
        "iss": "fastmvc-tests",
        "aud": "fastmvc-api",
    }
    token = jwt.encode(claims, secret, algorithm="HS256")
    with pytest.raises(UnauthorizedError) as info:
        tokens.decode(token, typ="access")
    assert info.value.response_key == "error_token_expired"
    assert info.value.headers["WWW-Authenticate"] == "Bearer"


async def test_leeway_accepts_small_clock_skew(tokens: TokenService, secret: str) -> None:
    now = int(time.time())
    claims = {
        "sub": "u1",
        "iat": now - 3600,
        "exp": now - 3,  # expired 3 s ago; default leeway is 10 s
        "jti": "j",
        "typ": "access",
        "fam": "f",
        "iss": "fastmvc-tests",
        "aud": "fastmvc-api",
    }
    token = jwt.encode(claims, secret, algorithm="HS256")
    assert tokens.decode(token, typ="access").sub == "u1"


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize("value", ["soon", True, [1], {"a": 1}])
def test_non_numeric_time_claims_are_refused(
    tokens: TokenService, secret: str, claim: str, value: Any
) -> None:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "u1",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "typ": "access",
        "fam": "f",
        "iss": "fastmvc-tests",
        "aud": "fastmvc-api",
    }
    claims[claim] = value
    token = jwt.encode(claims, secret, algorithm="HS256")
    with pytest.raises(UnauthorizedError):
        tokens.decode(token, typ="access")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_asymmetric_algorithms_round_trip(
    alg: str, rsa_pems: tuple[str, str], ec_pems: tuple[str, str]
) -> None:
    private, public = rsa_pems if alg.startswith("RS") else ec_pems
    settings = Settings(jwt_algorithm=alg, jwt_secret_key=private, jwt_public_key=public)
    service = build_token_service(settings, None)

    pair = service.issue("u9")

    assert jwt.get_unverified_header(pair.access_token)["alg"] == alg
    assert (await service.verify_access(pair.access_token)).sub == "u9"


def test_unsupported_algorithm_fails_at_startup() -> None:
    with pytest.raises(ValueError, match="not one of"):
        keys_from_settings(Settings(jwt_algorithm="none"))


def test_asymmetric_algorithm_without_public_key_fails_at_startup(
    rsa_pems: tuple[str, str],
) -> None:
    with pytest.raises(ValueError, match="JWT_PUBLIC_KEY"):
        keys_from_settings(Settings(jwt_algorithm="RS256", jwt_secret_key=rsa_pems[0]))


def test_oversized_token_is_refused_before_decoding(hs_settings: Settings) -> None:
    service = TokenService.from_settings(hs_settings, MemoryTokenStore())
    pair = service.issue("u1", claims={"blob": "x" * 5000})
    with pytest.raises(UnauthorizedError):
        service.decode(pair.access_token, typ="access")
    small = service.issue("u1")
    assert service.decode(small.access_token, typ="access").sub == "u1"
