"""MemoryTokenStore: the per-process denylist."""

from __future__ import annotations

import time

from fastmvc.security import MemoryTokenStore, TokenStore


def test_memory_store_is_a_token_store() -> None:
    assert isinstance(MemoryTokenStore(), TokenStore)


async def test_revoke_one_token_leaves_its_family_alone() -> None:
    store = MemoryTokenStore()
    until = int(time.time()) + 60
    await store.revoke("j1", "f1", until=until)
    assert await store.is_revoked("j1", "f1")
    assert not await store.is_revoked("j2", "f1")


async def test_revoke_family_covers_every_jti() -> None:
    store = MemoryTokenStore()
    await store.revoke_family("f1", until=int(time.time()) + 60)
    assert await store.is_revoked("any", "f1")
    assert not await store.is_revoked("any", "f2")


async def test_consume_is_true_only_once() -> None:
    store = MemoryTokenStore()
    until = int(time.time()) + 60
    assert await store.consume("j1", "f1", until=until)
    assert not await store.consume("j1", "f1", until=until)
    assert await store.is_revoked("j1", "f1")


async def test_entries_expire_with_the_token() -> None:
    store = MemoryTokenStore()
    await store.revoke("j1", "f1", until=int(time.time()) - 1)
    assert not await store.is_revoked("j1", "f1")
    assert await store.consume("j1", "f1", until=int(time.time()) + 60)


async def test_expired_entries_are_swept() -> None:
    store = MemoryTokenStore()
    past = int(time.time()) - 1
    for i in range(MemoryTokenStore._SWEEP_EVERY):
        await store.revoke(f"j{i}", "f", until=past)
    assert store._entries == {}
