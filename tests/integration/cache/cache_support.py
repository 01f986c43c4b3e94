"""Helpers for the cache integration tests: the shared Redis and throwaway servers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from redis.asyncio import Redis

from fastmvc.cache.redis_backend import escape_glob

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def _unavailable(reason: str) -> None:
    # Under CI a missing service is a failure, never a silent skip.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


async def connect_shared() -> Redis:
    """The shared Redis (other suites use it too: never flush it)."""
    client = Redis.from_url(redis_url(), socket_timeout=2, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        _unavailable(f"Redis at {redis_url()} is not reachable: {exc!r}")
    return client


async def delete_own_keys(client: Redis, prefix: str) -> None:
    """Remove the keys this test wrote, and only those."""
    async for key in client.scan_iter(match=escape_glob(prefix) + "*", count=1000):
        await client.unlink(key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayRedis:
    """A private redis-server on a free port, which a test may kill or freeze."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="fastmvc-cache-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            _unavailable("redis-server is not on PATH")
        self._process = subprocess.Popen(
            [
                str(executable),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("throwaway redis-server did not start")

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the port stays open but nothing answers, like a hung server."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)
        self.kill()
        shutil.rmtree(self._dir, ignore_errors=True)
