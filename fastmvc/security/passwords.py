"""Password hashing with argon2id, off the event loop.

Argon2 is deliberately slow and memory-hungry, so every hash and verify runs in
a worker thread. A bounded :class:`anyio.CapacityLimiter` caps how many run at
once: a burst of logins queues up instead of taking every thread (and
``memory_kib`` times N of RAM) from the rest of the process.
"""

from __future__ import annotations

import os
import secrets

import anyio
from anyio.to_thread import run_sync
from argon2 import PasswordHasher as _Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from fastmvc.settings import Settings

__all__ = ["PasswordHasher", "default_hash_concurrency"]

_MAX_DEFAULT_CONCURRENCY = 4


def default_hash_concurrency() -> int:
    """How many hashes may run at once by default: one less than the usable CPUs, 1 to 4.

    Argon2 is CPU-bound, so threads beyond the CPUs add no throughput; they
    only take CPU time from the event-loop thread and stretch every other
    request's latency. Leaving one CPU free keeps the loop responsive.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(_MAX_DEFAULT_CONCURRENCY, cpus - 1))


class PasswordHasher:
    """Hash and verify passwords with argon2id.

    Args:
        time_cost: Argon2 iterations (``PASSWORD_HASH_TIME_COST``).
        memory_kib: Argon2 memory in KiB (``PASSWORD_HASH_MEMORY_KIB``).
        parallelism: Argon2 lanes (``PASSWORD_HASH_PARALLELISM``).
        concurrency: How many hashes may run in threads at the same time;
            ``None`` means :func:`default_hash_concurrency`.
    """

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_kib: int = 19_456,
        parallelism: int = 1,
        concurrency: int | None = None,
    ) -> None:
        self._argon2 = _Argon2Hasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        if concurrency is None:
            concurrency = default_hash_concurrency()
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._dummy_hash: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHasher:
        """Build a hasher from the ``PASSWORD_HASH_*`` settings."""
        return cls(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
            concurrency=settings.password_hash_concurrency,
        )

    @property
    def backlog(self) -> int:
        """How many hashes or verifies are running in threads or waiting for one."""
        statistics = self._limiter.statistics()
        return statistics.borrowed_tokens + statistics.tasks_waiting

    async def hash(self, password: str) -> str:
        """Return the argon2id hash of ``password`` (a PHC string with salt and parameters)."""
        return await run_sync(self._argon2.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str, password: str) -> bool:
        """Tell whether ``password`` matches ``password_hash``.

        A malformed or foreign hash counts as a mismatch, never as an error.
        """
        return await run_sync(self._verify_sync, password_hash, password, limiter=self._limiter)

    def needs_rehash(self, password_hash: str) -> bool:
        """Tell whether ``password_hash`` was made with other parameters than ours.

        Call it after a successful :meth:`verify` and store a fresh hash when it
        says so; this is how raised cost settings reach existing users.
        """
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one real verify, for a login whose user does not exist.

        Without it an unknown email answers much faster than a wrong password,
        which tells an attacker which emails have accounts. The dummy hash is
        made once, with the current parameters, so both paths cost the same.
        """
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self.verify(self._dummy_hash, password)

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            # VerifyMismatchError is a VerificationError.
            return False
