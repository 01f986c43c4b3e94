"""Passwords (argon2id), JWTs (python-jose), token revocation and the current-user dependency."""

from fastmvc.security.dependencies import CurrentUser, bearer_scheme, require_user
from fastmvc.security.passwords import PasswordHasher, default_hash_concurrency
from fastmvc.security.store import MemoryTokenStore, RedisTokenStore, TokenStore
from fastmvc.security.tokens import (
    Principal,
    SubjectGuard,
    TokenPair,
    TokenService,
    TokenType,
    build_token_service,
    build_token_store,
)

__all__ = [
    "CurrentUser",
    "MemoryTokenStore",
    "PasswordHasher",
    "Principal",
    "RedisTokenStore",
    "SubjectGuard",
    "TokenPair",
    "TokenService",
    "TokenStore",
    "TokenType",
    "bearer_scheme",
    "build_token_service",
    "build_token_store",
    "default_hash_concurrency",
    "require_user",
]
