"""TokenService beyond one pair: ending a user's sessions, guards, one-time tokens, wiring."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from jose import jwt
from redis.asyncio import Redis

from fastmvc.errors import UnauthorizedError
from fastmvc.security import MemoryTokenStore, Principal, TokenService
from fastmvc.security import tokens as tokens_module
from fastmvc.security._keys import keys_from_settings
from fastmvc.security.store import RedisTokenStore
from fastmvc.settings import Settings


class RecordingStore(MemoryTokenStore):
    """The memory store, keeping the deadline of every per-user mark it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, float, int]] = []

    async def revoke_subject(self, subject: str, *, before: float, until: int) -> None:
        self.marks.append((subject, before, until))
        await super().revoke_subject(subject, before=before, until=until)


async def test_revoke_subject_ends_that_users_earlier_sessions_only(tokens: TokenService) -> None:
    mine, theirs = tokens.issue(7), tokens.issue(8)

    await tokens.revoke_subject(7)

    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(mine.access_token)
    with pytest.raises(UnauthorizedError):
        await tokens.refresh(mine.refresh_token)
    # Another user's tokens, and a login after the mark, still work.
    assert (await tokens.verify_access(theirs.access_token)).sub == "8"
    time.sleep(0.001)
    later = tokens.issue(7)
    assert (await tokens.verify_access(later.access_token)).sub == "7"
    assert (await tokens.refresh(later.refresh_token)).access_token


async def test_the_per_user_mark_outlives_every_refresh_token(hs_settings: Settings) -> None:
    store = RecordingStore()
    service = TokenService.from_settings(hs_settings, store)
    newest = service.decode(service.issue(7).refresh_token, typ="refresh")

    await service.revoke_subject(7)

    ((subject, before, until),) = store.marks
    assert subject == "7"
    assert newest.issued_at <= before <= time.time()
    # Past the refresh token's expiry plus the leeway a verifier grants it.
    assert until > newest.exp + hs_settings.jwt_leeway_seconds


async def test_a_guard_sees_each_principal_and_its_yes_refuses(
    hs_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Principal] = []

    async def guard(principal: Principal) -> bool:
        seen.append(principal)
        return principal.sub == "13"

    service = TokenService.from_settings(hs_settings, MemoryTokenStore())
    service = TokenService(keys_from_settings(hs_settings), service.store, guard=guard)
    refused, allowed = service.issue(13), service.issue(14)

    assert (await service.verify_access(allowed.access_token)).sub == "14"
    # The reason goes to the log, for operators; the client only hears "Invalid token".
    with caplog.at_level(logging.INFO, logger=tokens_module.logger.name):
        with pytest.raises(UnauthorizedError, match=r"^Invalid token$"):
            await service.verify_access(refused.access_token)
        with pytest.raises(UnauthorizedError, match=r"^Invalid token$"):
            await service.refresh(refused.refresh_token)
    assert [(p.sub, p.typ) for p in seen] == [("14", "access"), ("13", "access"), ("13", "refresh")]
    assert caplog.messages.count("token refused: subject 13 revoked") == 2


async def test_a_refresh_token_revoked_by_itself_is_refused_and_ends_its_family(
    tokens: TokenService,
) -> None:
    pair = tokens.issue("u1")
    await tokens.revoke(tokens.decode(pair.refresh_token, typ="refresh"))

    with pytest.raises(UnauthorizedError):
        await tokens.refresh(pair.refresh_token)
    # Reuse detection revoked the whole family, the access token with it.
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(pair.access_token)


async def test_refresh_with_claims_replaces_the_custom_claims(tokens: TokenService) -> None:
    first = tokens.issue("u1", claims={"roles": ["admin"], "team": "red"})

    second = await tokens.refresh(first.refresh_token, claims={"roles": []})

    claims = (await tokens.verify_access(second.access_token)).claims
    assert claims["roles"] == []
    assert "team" not in claims


def test_iat_keeps_microseconds(tokens: TokenService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens_module.time, "time", lambda: 1_700_000_000.1234567)

    pair = tokens.issue("u1")
    one_time = tokens.issue_one_time("u1", "reset", seconds=60, claims={})

    for token in (pair.access_token, pair.refresh_token, one_time):
        claims = jwt.get_unverified_claims(token)
        assert claims["iat"] == 1_700_000_000.123457
        assert claims["nbf"] == 1_700_000_000


async def test_a_one_time_token_carries_its_type_lifetime_and_claims(
    tokens: TokenService,
) -> None:
    before = int(time.time())
    token = tokens.issue_one_time(5, "reset", seconds=600, claims={"email": "a@example.com"})

    principal = tokens.decode(token, typ="reset")

    assert (principal.sub, principal.typ) == ("5", "reset")
    assert principal.claims["email"] == "a@example.com"
    assert principal.claims["iss"] == "fastmvc-tests"
    assert before + 600 <= principal.exp <= int(time.time()) + 600
    for other in ("access", "refresh", "verify"):
        with pytest.raises(UnauthorizedError):
            tokens.decode(token, typ=other)  # type: ignore[arg-type]
    with pytest.raises(UnauthorizedError):
        await tokens.verify_access(token)


async def test_a_one_time_token_is_consumed_once(tokens: TokenService) -> None:
    token = tokens.issue_one_time(5, "verify", seconds=600, claims={})
    principal = tokens.decode(token, typ="verify")

    assert await tokens.consume(principal) is True
    assert await tokens.consume(principal) is False
    # Another token of the same kind is its own.
    other = tokens.decode(tokens.issue_one_time(5, "verify", seconds=600, claims={}), typ="verify")
    assert await tokens.consume(other) is True


@pytest.mark.parametrize("typ", ["access", "refresh"])
def test_a_one_time_token_cannot_be_a_session_token(tokens: TokenService, typ: Any) -> None:
    with pytest.raises(ValueError, match=r"^one-time tokens cannot be access or refresh tokens$"):
        tokens.issue_one_time(5, typ, seconds=600, claims={})


def test_a_one_time_token_refuses_reserved_claims(tokens: TokenService) -> None:
    with pytest.raises(ValueError, match=r"^reserved claims cannot be set: \['exp', 'sub'\]$"):
        tokens.issue_one_time(5, "reset", seconds=600, claims={"sub": "6", "exp": 1})


@pytest.mark.parametrize(("redis_timeout", "store_timeout"), [(0.25, 1.0), (2.0, 4.0)])
async def test_the_redis_store_takes_its_prefix_and_timeout_from_the_settings(
    redis_timeout: float, store_timeout: float
) -> None:
    # Built, never connected: redis-py opens a connection on the first command.
    client = Redis.from_url("redis://127.0.0.1:1")
    settings = Settings(token_store_prefix="app-tok", redis_timeout_seconds=redis_timeout)
    store = tokens_module.build_token_store(settings, client)
    assert isinstance(store, RedisTokenStore)
    assert (store._prefix, store._timeout) == ("app-tok", store_timeout)
    assert isinstance(tokens_module.build_token_store(settings, None), MemoryTokenStore)
    await client.aclose()
