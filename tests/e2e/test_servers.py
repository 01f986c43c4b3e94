"""The same behaviour from ``fastmvc run`` on every server it offers (uvicorn, Granian).

Each test serves ``probe_app.py`` (FastMVC's default stack and a few probe
routes) in a throwaway project through the real CLI, once per server:
lifespan, client address and proxy headers, body limit, access log,
graceful shutdown, and a stop signal that arrives while workers start.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import SERVERS, Served, fastmvc_run, stop_server

pytestmark = pytest.mark.slow

PROBE_APP = Path(__file__).with_name("probe_app.py")
LIMIT = 1024


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(PROBE_APP, root / "probe_app.py")
    (root / "pyproject.toml").write_text('[tool.fastmvc]\napp = "probe_app:app"\n')
    return root


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    return env | {
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'app.db'}",
        "RATE_LIMIT_ENABLED": "false",
        "TRUSTED_PROXIES": "127.0.0.1/32",
        "MAX_BODY_BYTES": str(LIMIT),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PROBE_EVENTS": str(root / "events.txt"),
        **extra,
    }


def _events_with_pids(root: Path) -> list[tuple[str, str]]:
    path = root / "events.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(event, pid) for event, pid in (line.split() for line in lines)]


def _events(root: Path) -> list[str]:
    return [event for event, _ in _events_with_pids(root)]


@pytest.fixture(scope="module", params=SERVERS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The probe app behind one server, shared by the module's read-only tests."""
    root = _project(tmp_path_factory.mktemp(request.param) / "probe")
    log = root.parent / "server.log"
    with fastmvc_run(root, request.param, env=_env(root), log=log) as running:
        yield running


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.base_url, timeout=10) as client:
        yield client


async def test_lifespan_startup_ran(served: Served) -> None:
    assert "lifespan.startup.complete" in _events(served.log.parent / "probe")


async def test_the_server_believes_no_proxy_header(http: httpx.AsyncClient) -> None:
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    seen = (await http.get("/probe/peer", headers=headers)).json()
    # The server left the peer and the scheme alone; FastMVC believed the
    # header because the peer is in TRUSTED_PROXIES.
    assert seen == {"client_ip": "203.0.113.9", "server_client": "127.0.0.1", "scheme": "http"}
    direct = (await http.get("/probe/peer")).json()
    assert direct == {"client_ip": "127.0.0.1", "server_client": "127.0.0.1", "scheme": "http"}


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_body_limit(http: httpx.AsyncClient) -> None:
    small = await http.post("/probe/echo", content=_chunks(2, 100))
    assert small.json() == {"received": 200}
    big = await http.post("/probe/echo", content=_chunks(20, 100))
    assert big.request.headers["transfer-encoding"] == "chunked"
    assert big.status_code == 413
    assert big.json()["transactionUrn"] == big.headers["x-request-id"]
    declared = await http.post("/probe/echo", content=b"x" * (LIMIT + 1))
    assert declared.status_code == 413


async def test_big_content_length_is_refused_before_the_body_is_sent(served: Served) -> None:
    host, port = served.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /probe/echo HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: 1000000000\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")


async def test_one_access_line_from_fastmvc_and_none_from_the_server(
    served: Served, http: httpx.AsyncClient
) -> None:
    token = f"t{time.monotonic_ns()}"
    assert (await http.get(f"/probe/logged/{token}")).status_code == 200
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in served.log.read_text().splitlines() if token in line]
        if lines or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    (line,) = lines  # a server access line would be a second one
    access = json.loads(line)
    assert access["logger"] == "fastmvc.access"
    assert access["path"] == f"/probe/logged/{token}"
    assert access["status"] == 200


@pytest.mark.parametrize("server", SERVERS)
async def test_graceful_shutdown_finishes_accepted_requests(server: str, tmp_path: Path) -> None:
    root = _project(tmp_path / "probe")
    with fastmvc_run(
        root, server, "--workers", "2", env=_env(root), log=tmp_path / "server.log"
    ) as running:
        # The first worker to start answers /health/live; the second may still
        # be importing. Stop only once both have started, so that both stop.
        started = time.monotonic() + 60
        while _events(root).count("lifespan.startup.complete") < 2:
            assert time.monotonic() < started, "the second worker did not start"
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=running.base_url, timeout=20) as client:
            slow = [asyncio.create_task(client.get("/probe/slow?seconds=2")) for _ in range(3)]
            deadline = time.monotonic() + 10
            while _events(root).count("slow-started") < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert _events(root).count("slow-started") == 3
            running.process.send_signal(signal.SIGTERM)
            responses = await asyncio.gather(*slow)
            assert [r.status_code for r in responses] == [200, 200, 200]
            await asyncio.sleep(0.5)  # give the listener time to close
            with pytest.raises(httpx.TransportError):
                await client.get("/health/live")
        code = await asyncio.to_thread(running.process.wait, 20)
    assert code == 0, running.log.read_text()
    events = _events(root)
    assert events.count("lifespan.startup.complete") == 2
    assert events.count("lifespan.shutdown.complete") == 2
    assert events.count("slow-finished") == 3
    # Each worker stopped its lifespan only after its own requests had finished.
    by_worker: dict[str, list[str]] = {}
    for event, pid in _events_with_pids(root):
        by_worker.setdefault(pid, []).append(event)
    for seen in by_worker.values():
        assert seen[-1] == "lifespan.shutdown.complete", seen


@pytest.mark.parametrize("server", SERVERS)
def test_a_stop_signal_while_workers_start_stops_the_server(server: str, tmp_path: Path) -> None:
    root = _project(tmp_path / "probe")
    env = _env(root, PROBE_IMPORT_DELAY="3")
    with fastmvc_run(
        root, server, "--workers", "2", env=env, log=tmp_path / "server.log", wait=False
    ) as running:
        deadline = time.monotonic() + 30
        while "importing" not in _events(root) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "importing" in _events(root), running.log.read_text()
        code = stop_server(running.process, timeout=30)
        output = running.log.read_text()
    assert code == 0, output  # it stopped by itself, it was not killed
    assert "refused to gracefully stop" not in output  # Granian's words for a forced kill
    events = _events(root)
    assert events.count("lifespan.startup.complete") == events.count("lifespan.shutdown.complete")
