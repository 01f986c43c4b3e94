"""PasswordHasher: argon2id in a worker thread."""

from __future__ import annotations

import os
import threading
from typing import Any

import anyio
import pytest
from argon2 import extract_parameters

from fastmvc.security import PasswordHasher, default_hash_concurrency
from fastmvc.settings import Settings


@pytest.fixture
def hasher() -> PasswordHasher:
    # Cheap parameters: these tests check behaviour, not cost.
    return PasswordHasher(time_cost=1, memory_kib=64, parallelism=1, concurrency=2)


async def test_hash_is_argon2id_and_verifies(hasher: PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery staple")

    assert stored.startswith("$argon2id$")
    assert await hasher.verify(stored, "correct horse battery staple")
    assert not await hasher.verify(stored, "correct horse battery stapler")


async def test_same_password_gets_a_fresh_salt(hasher: PasswordHasher) -> None:
    assert await hasher.hash("pw-12345678") != await hasher.hash("pw-12345678")


@pytest.mark.parametrize(
    "garbage", ["", "not-a-hash", "$2b$12$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=64"]
)
async def test_malformed_hash_is_a_mismatch_not_an_error(
    hasher: PasswordHasher, garbage: str
) -> None:
    assert not await hasher.verify(garbage, "whatever")
    assert hasher.needs_rehash(garbage)


async def test_needs_rehash_after_parameters_change(hasher: PasswordHasher) -> None:
    weak = await hasher.hash("pw-12345678")
    stronger = PasswordHasher(time_cost=2, memory_kib=128, parallelism=1)

    assert not hasher.needs_rehash(weak)
    assert stronger.needs_rehash(weak)
    assert await stronger.verify(weak, "pw-12345678")  # old hashes keep working
    assert not stronger.needs_rehash(await stronger.hash("pw-12345678"))


def test_defaults_are_at_least_owasp() -> None:
    settings = Settings()
    assert settings.password_hash_memory_kib >= 19 * 1024
    assert settings.password_hash_time_cost >= 2
    assert settings.password_hash_parallelism >= 1


async def test_from_settings_uses_the_configured_parameters() -> None:
    settings = Settings(
        password_hash_time_cost=3, password_hash_memory_kib=256, password_hash_parallelism=2
    )
    stored = await PasswordHasher.from_settings(settings).hash("pw-12345678")

    params = extract_parameters(stored)
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 256, 2)


async def test_verify_dummy_uses_current_parameters_and_a_single_hash(
    hasher: PasswordHasher,
) -> None:
    await hasher.verify_dummy("anything")
    dummy = hasher._dummy_hash
    assert dummy is not None
    assert not hasher.needs_rehash(dummy)
    await hasher.verify_dummy("something else")
    assert hasher._dummy_hash == dummy


async def test_hashing_runs_off_the_event_loop_thread() -> None:
    seen: list[int] = []

    class Recording(PasswordHasher):
        def _verify_sync(self, password_hash: str, password: str) -> bool:
            seen.append(threading.get_ident())
            return super()._verify_sync(password_hash, password)

    hasher = Recording(time_cost=1, memory_kib=64)
    stored = await hasher.hash("pw-12345678")
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(hasher.verify, stored, "pw-12345678")

    assert len(seen) == 3
    assert threading.get_ident() not in seen


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 1), (3, 2), (5, 4), (64, 4)])
def test_default_concurrency_leaves_a_cpu_for_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, cpus: int, expected: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    assert default_hash_concurrency() == expected


def test_default_concurrency_falls_back_to_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert default_hash_concurrency() == 2
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_hash_concurrency() == 1


class GatedArgon2:
    """Wraps argon2's hasher: every call waits at a gate and the peak overlap is recorded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.running = self.peak = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    def _gated(self, call: Any, *args: Any) -> Any:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.release.wait(5)
        with self.lock:
            self.running -= 1
        return call(*args)

    def hash(self, password: str) -> str:
        return str(self._gated(self.inner.hash, password))

    def verify(self, password_hash: str, password: str) -> bool:
        return bool(self._gated(self.inner.verify, password_hash, password))


@pytest.mark.parametrize("operation", ["hash", "verify"])
@pytest.mark.parametrize("concurrency", [1, 2])
async def test_no_more_than_concurrency_hashes_run_at_once(
    concurrency: int, operation: str
) -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=64, concurrency=concurrency)
    stored = await hasher.hash("pw-12345678")
    gate = GatedArgon2(hasher._argon2)
    hasher._argon2 = gate  # type: ignore[assignment]
    calls = {
        "hash": lambda: hasher.hash("pw-12345678"),
        "verify": lambda: hasher.verify(stored, "pw-12345678"),
    }
    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(calls[operation])
        # Give every task the chance to start a thread, were it allowed to.
        with anyio.fail_after(5):
            while gate.running < concurrency:
                await anyio.sleep(0.01)
        await anyio.sleep(0.2)
        # Running or waiting for a thread, every call is in the backlog.
        assert hasher.backlog == 4
        gate.release.set()

    assert gate.peak == concurrency
    assert hasher.backlog == 0


async def test_defaults_are_argon2id_at_owasp_cost() -> None:
    stored = await PasswordHasher(concurrency=1).hash("pw-12345678")
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 19_456, 1)


async def test_every_parameter_reaches_argon2() -> None:
    # Values that differ from argon2-cffi's own defaults (3, 65536, 4).
    stored = await PasswordHasher(time_cost=1, memory_kib=256, parallelism=2).hash("pw-12345678")
    params = extract_parameters(stored)
    assert (params.time_cost, params.memory_cost, params.parallelism) == (1, 256, 2)


def test_from_settings_passes_the_concurrency() -> None:
    assert (
        PasswordHasher.from_settings(Settings(password_hash_concurrency=3))._limiter.total_tokens
        == 3
    )


def test_default_hasher_uses_the_default_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(3)), raising=False)
    assert PasswordHasher()._limiter.total_tokens == 2
    assert PasswordHasher(concurrency=7)._limiter.total_tokens == 7
