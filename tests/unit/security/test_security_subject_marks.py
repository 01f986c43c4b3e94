"""The per-user "revoked before" mark: memory store and TokenService semantics."""

from __future__ import annotations

import time

import pytest

from fastmvc.errors import UnauthorizedError
from fastmvc.security import MemoryTokenStore, Principal, TokenService
from fastmvc.security._keys import JWTKeys

KEYS = JWTKeys(
    "HS256", "unit-test-key-0123456789abcdef-0123", "unit-test-key-0123456789abcdef-0123"
)


async def test_a_mark_revokes_tokens_issued_before_it_only() -> None:
    store = MemoryTokenStore()
    now = time.time()
    await store.revoke_subject("7", before=now, until=int(now) + 60)
    assert await store.is_revoked("j", "f", subject="7", issued_at=now - 0.001)
    assert not await store.is_revoked("j", "f", subject="7", issued_at=now)
    assert not await store.is_revoked("j", "f", subject="8", issued_at=now - 1)
    assert not await store.is_revoked("j", "f")  # no subject given: the mark is not consulted


async def test_an_older_mark_never_lowers_a_newer_one() -> None:
    store = MemoryTokenStore()
    now = time.time()
    await store.revoke_subject("7", before=now, until=int(now) + 60)
    await store.revoke_subject("7", before=now - 100, until=int(now) + 60)
    assert await store.is_revoked("j", "f", subject="7", issued_at=now - 1)


async def test_an_expired_mark_is_forgotten() -> None:
    store = MemoryTokenStore()
    now = time.time()
    await store.revoke_subject("7", before=now, until=int(now) - 1)
    assert not await store.is_revoked("j", "f", subject="7", issued_at=now - 1)


async def test_revoke_subject_ends_access_and_refresh_tokens_but_not_later_ones() -> None:
    tokens = TokenService(KEYS, MemoryTokenStore())
    old = tokens.issue(7)
    other = tokens.issue(8)
    await tokens.revoke_subject(7)
    new = tokens.issue(7)
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(old.access_token)
    with pytest.raises(UnauthorizedError):
        await tokens.refresh(old.refresh_token)
    assert (await tokens.verify_access(new.access_token)).sub == "7"
    assert (await tokens.verify_access(other.access_token)).sub == "8"
    assert (await tokens.refresh(new.refresh_token)).access_token


async def test_a_guard_can_revoke_a_subject() -> None:
    refused: set[str] = {"9"}

    async def guard(principal: Principal) -> bool:
        return principal.sub in refused

    tokens = TokenService(KEYS, MemoryTokenStore(), guard=guard)
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(tokens.issue(9).access_token)
    with pytest.raises(UnauthorizedError):
        await tokens.refresh(tokens.issue(9).refresh_token)
    assert (await tokens.verify_access(tokens.issue(10).access_token)).sub == "10"


async def test_one_time_tokens_are_single_use_and_never_sessions() -> None:
    tokens = TokenService(KEYS, MemoryTokenStore())
    token = tokens.issue_one_time(7, "reset", seconds=60, claims={"pwd": "x"})
    principal = tokens.decode(token, typ="reset")
    assert principal.claims["pwd"] == "x"
    assert await tokens.consume(principal)
    assert not await tokens.consume(principal)
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(token)
    with pytest.raises(ValueError):
        tokens.issue_one_time(7, "access", seconds=60, claims={})
    with pytest.raises(ValueError):
        tokens.issue_one_time(7, "reset", seconds=60, claims={"sub": "8"})


def test_iat_has_sub_second_precision_and_roles_ride_along() -> None:
    tokens = TokenService(KEYS, MemoryTokenStore())
    before = time.time()
    principal = tokens.decode(
        tokens.issue(7, claims={"roles": ["admin"]}).access_token, typ="access"
    )
    assert before - 0.001 <= principal.issued_at <= time.time() + 0.001
    assert principal.roles == frozenset({"admin"})
