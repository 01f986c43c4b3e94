"""JWT access and refresh tokens: issue, verify, rotate, revoke.

Every token carries ``typ`` (``access`` or ``refresh``), so one kind is never
accepted in place of the other, and ``fam``, the refresh family it belongs to.
A login starts a family; each refresh revokes the refresh token it used and
issues a new pair in the same family. Presenting a refresh token a second time
means it leaked (either the thief or the user already used it), so the whole
family is revoked and both parties must log in again.

Every refusal is an :class:`~fastmvc.errors.UnauthorizedError` with a short,
generic message; the precise reason only goes to the log.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

from fastmvc.errors import UnauthorizedError
from fastmvc.security._keys import JWTKeys, keys_from_settings
from fastmvc.security.store import MemoryTokenStore, RedisTokenStore, TokenStore
from fastmvc.settings import Settings

if TYPE_CHECKING:
    from fastmvc.redis import RedisClient

__all__ = [
    "REQUIRED_CLAIMS",
    "Principal",
    "SubjectGuard",
    "TokenPair",
    "TokenService",
    "TokenType",
    "build_token_service",
    "build_token_store",
]

logger = logging.getLogger("fastmvc.security")

TokenType = Literal["access", "refresh", "reset", "verify"]
"""``access`` and ``refresh`` sessions; ``reset`` and ``verify`` one-time account tokens."""

REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti", "typ", "fam")
"""Claims every FastMVC token must carry (plus ``iss``/``aud`` when configured)."""

_RESERVED = frozenset({*REQUIRED_CLAIMS, "nbf", "iss", "aud"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for.

    Attributes:
        sub: The subject, usually the user's id as a string.
        jti: This token's unique id (what revocation is keyed on).
        fam: The refresh family the token belongs to.
        exp: Expiry, Unix epoch seconds.
        typ: ``"access"`` or ``"refresh"``.
        claims: Every claim of the token, custom ones included.
    """

    sub: str
    jti: str
    fam: str
    exp: int
    typ: TokenType
    claims: Mapping[str, Any] = field(repr=False)

    @property
    def issued_at(self) -> float:
        """``iat`` with sub-second precision (FastMVC writes it as a float)."""
        return float(self.claims["iat"])

    @property
    def roles(self) -> frozenset[str]:
        """The roles the token carries (``admin`` for superusers)."""
        from fastmvc.access import roles_of

        return roles_of(self)


SubjectGuard = Callable[[Principal], Awaitable[bool]]
"""An extra revocation check on a token's subject; returns ``True`` when it is revoked.

The embedded (memory) backend uses one that reads the user row, so a
``fastmvc users deactivate`` from another process takes effect at once.
"""


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a login or a refresh hands out."""

    access_token: str
    refresh_token: str
    expires_in: int
    """Lifetime of the access token, in seconds."""
    token_type: str = "bearer"


class TokenService:
    """Issue and check FastMVC's JWTs.

    Args:
        keys: Algorithm and key material (see :func:`keys_from_settings`).
        store: The revocation store.
        access_ttl: Lifetime of access tokens.
        refresh_ttl: Lifetime of refresh tokens.
        issuer: ``iss`` to write and require, if any.
        audience: ``aud`` to write and require, if any.
        leeway_seconds: Clock skew tolerated on ``exp`` and ``nbf``.
        max_token_bytes: Longer tokens are refused before any parsing.
        guard: An extra check on the subject after the store's (see :data:`SubjectGuard`).
    """

    def __init__(
        self,
        keys: JWTKeys,
        store: TokenStore,
        *,
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(days=7),
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: int = 10,
        max_token_bytes: int = 4096,
        guard: SubjectGuard | None = None,
    ) -> None:
        self.guard = guard
        self._keys = keys
        self.store = store
        self._access_seconds = int(access_ttl.total_seconds())
        self._refresh_seconds = int(refresh_ttl.total_seconds())
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._max_bytes = max_token_bytes

    @classmethod
    def from_settings(cls, settings: Settings, store: TokenStore) -> TokenService:
        """Build the service from the ``JWT_*`` settings."""
        return cls(
            keys_from_settings(settings),
            store,
            access_ttl=timedelta(minutes=settings.jwt_access_token_minutes),
            refresh_ttl=timedelta(days=settings.jwt_refresh_token_days),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway_seconds=settings.jwt_leeway_seconds,
            max_token_bytes=settings.jwt_max_token_bytes,
        )

    @property
    def access_ttl_seconds(self) -> int:
        """Lifetime of an access token, in seconds (the ``expires_in`` of a pair)."""
        return self._access_seconds

    def issue(self, subject: str | int, *, claims: Mapping[str, Any] | None = None) -> TokenPair:
        """Start a new refresh family for ``subject`` and return its first pair.

        Args:
            subject: The user id; stored as the string ``sub``.
            claims: Extra custom claims for both tokens. Reserved names
                (``exp``, ``sub``, ``typ``…) are refused.
        """
        extra = dict(claims or {})
        clash = _RESERVED.intersection(extra)
        if clash:
            raise ValueError(f"reserved claims cannot be set: {sorted(clash)}")
        return self._pair(str(subject), _new_id(), extra)

    def decode(self, token: str, *, typ: TokenType) -> Principal:
        """Check signature, lifetime and claims of ``token``, without the revocation store.

        Raises:
            UnauthorizedError: For any problem with the token.
        """
        if len(token.encode("utf-8", "surrogatepass")) > self._max_bytes:
            raise _refuse("token larger than the configured maximum")
        try:
            claims = jwt.decode(
                token,
                self._keys.verifying_key,
                # An allow-list of exactly one: blocks `alg: none` and HS/RS confusion.
                algorithms=[self._keys.algorithm],
                audience=self._audience,
                issuer=self._issuer,
                options=self._decode_options(),
            )
        except ExpiredSignatureError as exc:
            raise _refuse("expired", expired=True) from exc
        except (JOSEError, ValueError, TypeError, KeyError) as exc:
            # jose lets TypeError/KeyError out on some odd claim shapes.
            raise _refuse(f"rejected by jose: {type(exc).__name__}") from exc
        return self._principal(claims, typ)

    async def verify_access(self, token: str) -> Principal:
        """Return the principal of a valid, unrevoked access token.

        Raises:
            UnauthorizedError: The token is invalid, expired, not an access
                token, or revoked.
            ServiceUnavailableError: The revocation store is down.
        """
        principal = self.decode(token, typ="access")
        await self._check_revoked(principal)
        return principal

    async def _check_revoked(self, principal: Principal) -> None:
        if await self.store.is_revoked(
            principal.jti, principal.fam, subject=principal.sub, issued_at=principal.issued_at
        ):
            raise _refuse("revoked")
        if self.guard is not None and await self.guard(principal):
            raise _refuse(f"subject {principal.sub} revoked")

    async def revoke_subject(self, subject: str | int) -> None:
        """End every session of ``subject`` now: each token issued before this call is refused.

        Deactivation, a password change and a password reset call it. The mark
        outlives the longest refresh token, so no earlier token ever comes back.
        """
        now = time.time()
        await self.store.revoke_subject(
            str(subject), before=now, until=int(now) + self._refresh_seconds + self._leeway + 1
        )

    def issue_one_time(
        self, subject: str | int, typ: TokenType, *, seconds: int, claims: Mapping[str, Any]
    ) -> str:
        """Sign a one-time account token (``reset`` or ``verify``) valid for ``seconds``.

        Single use is the caller's job: :meth:`consume` its ``jti`` when it is redeemed.
        """
        if typ in ("access", "refresh"):
            raise ValueError("one-time tokens cannot be access or refresh tokens")
        clash = _RESERVED.intersection(claims)
        if clash:
            raise ValueError(f"reserved claims cannot be set: {sorted(clash)}")
        return self._encode(str(subject), _new_id(), typ, time.time(), seconds, claims)

    async def consume(self, principal: Principal) -> bool:
        """Mark a one-time token used; ``True`` only for the first caller, across workers."""
        return await self.store.consume(principal.jti, principal.fam, until=principal.exp)

    async def refresh(
        self, refresh_token: str, *, claims: Mapping[str, Any] | None = None
    ) -> TokenPair:
        """Rotate a refresh token: revoke it and return a new pair in its family.

        A refresh token that was already used (or whose family is revoked)
        revokes the whole family.

        Raises:
            UnauthorizedError: The token is invalid, expired, not a refresh
                token, or reused.
            ServiceUnavailableError: The revocation store is down.
        """
        principal = self.decode(refresh_token, typ="refresh")
        reused = await self.store.is_revoked(
            principal.jti, principal.fam, subject=principal.sub, issued_at=principal.issued_at
        )
        if self.guard is not None and await self.guard(principal):
            raise _refuse(f"subject {principal.sub} revoked")
        if reused or not await self.store.consume(
            principal.jti, principal.fam, until=principal.exp
        ):
            await self.store.revoke_family(principal.fam, until=self._family_deadline())
            raise _refuse(f"refresh token reuse in family {principal.fam}")
        custom = (
            dict(claims)
            if claims is not None
            else {k: v for k, v in principal.claims.items() if k not in _RESERVED}
        )
        return self._pair(principal.sub, principal.fam, custom)

    async def revoke(self, principal: Principal) -> None:
        """Revoke one token until it expires."""
        await self.store.revoke(principal.jti, principal.fam, until=principal.exp)

    async def logout(self, principal: Principal) -> None:
        """Revoke ``principal``'s token and every token of its refresh family."""
        await self.revoke(principal)
        await self.store.revoke_family(principal.fam, until=self._family_deadline())

    def _pair(self, subject: str, fam: str, custom: Mapping[str, Any]) -> TokenPair:
        now = time.time()
        return TokenPair(
            access_token=self._encode(subject, fam, "access", now, self._access_seconds, custom),
            refresh_token=self._encode(subject, fam, "refresh", now, self._refresh_seconds, custom),
            expires_in=self._access_seconds,
        )

    def _encode(
        self,
        subject: str,
        fam: str,
        typ: TokenType,
        now: float,
        lifetime: int,
        custom: Mapping[str, Any],
    ) -> str:
        # iat keeps sub-second precision: a "revoked before" mark set a moment
        # before a new login must not catch the token that login hands out.
        claims: dict[str, Any] = {
            **custom,
            "sub": subject,
            "iat": round(now, 6),
            "nbf": int(now),
            "exp": int(now) + lifetime,
            "jti": _new_id(),
            "typ": typ,
            "fam": fam,
        }
        if self._issuer is not None:
            claims["iss"] = self._issuer
        if self._audience is not None:
            claims["aud"] = self._audience
        token: str = jwt.encode(claims, self._keys.signing_key, algorithm=self._keys.algorithm)
        return token

    def _decode_options(self) -> dict[str, Any]:
        return {
            "require_exp": True,
            "require_iat": True,
            "require_sub": True,
            "require_jti": True,
            "require_iss": self._issuer is not None,
            "require_aud": self._audience is not None,
            "leeway": self._leeway,
        }

    def _principal(self, claims: Mapping[str, Any], typ: TokenType) -> Principal:
        # jose's require_* options do not know our typ and fam claims, and accept
        # any JSON type for exp/iat; check every required claim ourselves.
        for name in REQUIRED_CLAIMS:
            if name not in claims:
                raise _refuse(f"missing claim {name}")
        for name in ("exp", "iat"):
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _refuse(f"non-numeric claim {name}")
        for name in ("sub", "jti", "fam", "typ"):
            value = claims[name]
            if not isinstance(value, str) or not value:
                raise _refuse(f"bad claim {name}")
        if claims["typ"] != typ:
            raise _refuse(f"{claims['typ']!r} token presented as {typ!r}")
        return Principal(
            sub=claims["sub"],
            jti=claims["jti"],
            fam=claims["fam"],
            exp=int(claims["exp"]),
            typ=typ,
            claims=dict(claims),
        )

    def _family_deadline(self) -> int:
        # Every token of a family was issued by now, so none outlives this.
        return int(time.time()) + self._refresh_seconds + self._leeway


def build_token_store(settings: Settings, redis: RedisClient | None) -> TokenStore:
    """The denylist: Redis when ``redis`` is given, process memory otherwise."""
    if redis is None:
        return MemoryTokenStore()
    return RedisTokenStore(
        redis,
        prefix=settings.token_store_prefix,
        timeout_seconds=max(1.0, 2 * settings.redis_timeout_seconds),
    )


def build_token_service(settings: Settings, redis: RedisClient | None) -> TokenService:
    """Build the app's token service: Redis denylist when ``redis`` is given, memory otherwise."""
    return TokenService.from_settings(settings, build_token_store(settings, redis))


def _new_id() -> str:
    return secrets.token_urlsafe(16)


def _refuse(reason: str, *, expired: bool = False) -> UnauthorizedError:
    logger.info("token refused: %s", reason)
    if expired:
        # The one reason worth telling: the client should refresh, not log in again.
        return UnauthorizedError("Token expired", response_key="error_token_expired")
    return UnauthorizedError("Invalid token")
