"""Password hashing never stalls the event loop (the one timing assertion of the suite)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import anyio
import httpx
from argon2 import extract_parameters

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.security import PasswordHasher, default_hash_concurrency
from fastmvc.settings import Settings
from tests.integration.auth.auth_helpers import PASSWORD, AuthTestUser, auth_settings

LOGINS = 20
P99_BUDGET_SECONDS = 0.050
PROBE_INTERVAL_SECONDS = 0.010
ATTEMPTS = 3


def _default(name: str) -> int:
    value = Settings.model_fields[name].default
    assert isinstance(value, int)
    return value


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _login_wave(
    client: httpx.AsyncClient, password: str, statuses: list[int] | None = None
) -> list[int]:
    statuses = [] if statuses is None else statuses

    async def login(i: int) -> None:
        response = await client.post(
            "/auth/login", json={"email": f"user{i}@example.com", "password": password}
        )
        statuses.append(response.status_code)

    async with anyio.create_task_group() as wave:
        for i in range(LOGINS):
            wave.start_soon(login, i)
    return statuses


async def _probe_during_logins(
    client: httpx.AsyncClient, hasher: PasswordHasher
) -> tuple[list[float], list[int], float]:
    """Run one wave of concurrent logins while probing /health/live every 10 ms.

    The 20 requests arrive in the same instant. Parsing them, running the
    edge and looking the users up is ordinary loop work, and it ends when the
    last one hands its password to the hasher. What this test guards is the
    time after that: while the hashes run, the loop must stay free. So probes
    start once every login is waiting on the hasher or answered; how long that
    admission took is reported, not judged. Were hashing on the loop, the
    hasher would never hold a backlog, the probes would start only after the
    last login, and the test would fail for too few probes.
    """
    latencies: list[float] = []
    statuses: list[int] = []
    done = anyio.Event()
    started = time.perf_counter()
    admitted_after = float("nan")

    async def probe() -> None:
        nonlocal admitted_after
        while not done.is_set() and hasher.backlog + len(statuses) < LOGINS:
            await anyio.sleep(0.001)
        admitted_after = time.perf_counter() - started
        # Latency counts from when each probe was *due*, not from when it got
        # to start: a blocked loop delays the start too, and a probe timed
        # from its own start would never see it (coordinated omission).
        due = time.perf_counter()
        while not done.is_set():
            await anyio.sleep(max(0.0, due - time.perf_counter()))
            response = await client.get("/health/live")
            latencies.append(time.perf_counter() - due)
            assert response.status_code == 200
            due += PROBE_INTERVAL_SECONDS

    async def logins() -> None:
        await _login_wave(client, PASSWORD, statuses)
        done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(probe)
        tg.start_soon(logins)
    return latencies, statuses, admitted_after


async def test_health_stays_fast_during_concurrent_logins(tmp_path: Path) -> None:
    # Real argon2id cost (the defaults, not the cheap test overrides), and an
    # app of its own: concurrent requests need a real pool, not the
    # single-connection rollback session of the `app` fixture.
    settings = auth_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}",
        password_hash_time_cost=_default("password_hash_time_cost"),
        password_hash_memory_kib=_default("password_hash_memory_kib"),
        password_hash_parallelism=_default("password_hash_parallelism"),
        # Not an argon2 parameter: how many hashes run at once. More threads
        # than free CPUs only starve the loop (see default_hash_concurrency).
        password_hash_concurrency=default_hash_concurrency(),
    )
    app = create_app(settings, routers=auth_routers(AuthTestUser))
    runtime = app.state.fastmvc
    await runtime.database.create_all(AuthTestUser.metadata)
    password_hash = await PasswordHasher.from_settings(settings).hash(PASSWORD)
    assert extract_parameters(password_hash).memory_cost >= 19 * 1024
    async with runtime.database.unit_of_work() as session:
        session.add_all(
            AuthTestUser(email=f"user{i}@example.com", password_hash=password_hash)
            for i in range(LOGINS)
        )

    reports: list[str] = []
    p99s: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # Warm up with one wave of failing logins: the first requests build the
        # middleware stack, fill the connection pool and start the worker
        # threads, none of which is what this test measures.
        assert (await client.get("/health/live")).status_code == 200
        assert await _login_wave(client, "warm-up") == [401] * LOGINS

        # Other processes on the machine can only add latency, never remove
        # it, while a loop blocked by hashing fails every attempt; so one
        # attempt within budget proves the point and a busy CI box retries.
        for _ in range(ATTEMPTS):
            started = time.perf_counter()
            latencies, statuses, admitted_after = await _probe_during_logins(
                client, runtime.passwords
            )
            elapsed = time.perf_counter() - started
            assert statuses == [200] * LOGINS
            assert len(latencies) >= 10, "too few probes to judge the loop"
            p99s.append(_p99(latencies))
            reports.append(
                f"{LOGINS} logins in {elapsed * 1000:.0f} ms, all at the hasher after "
                f"{admitted_after * 1000:.0f} ms; /health/live over "
                f"{len(latencies)} probes: median {statistics.median(latencies) * 1000:.1f} ms, "
                f"p99 {p99s[-1] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
            )
            if p99s[-1] < P99_BUDGET_SECONDS:
                break
    await runtime.aclose()

    print("\n" + "\n".join(reports))
    assert min(p99s) < P99_BUDGET_SECONDS, reports
