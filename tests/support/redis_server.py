"""A private redis-server on its own port, for tests that kill, freeze or restart Redis.

The shared Redis on 6379 is used by every suite at once, so a test that breaks
Redis on purpose breaks only one of these.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.availability import unavailable
from tests.support.net import free_port

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0


class ThrowawayRedis:
    """One redis-server process on 127.0.0.1, started and ended by the test.

    Nothing is persisted (``--save ""``, ``--appendonly no``), so ``start()``
    after ``kill()`` brings the server back on the same port with no data.
    """

    def __init__(self, port: int | None = None, *, extra_args: tuple[str, ...] = ()) -> None:
        self.port = port if port is not None else free_port()
        self._extra_args = extra_args
        # Its own working directory, so a stray dump file never lands in the repo.
        self._dir = tempfile.mkdtemp(prefix="fastmvc-test-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of database 0 on this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (again, after ``kill()``) and return once it answers PING."""
        executable = shutil.which("redis-server")
        if executable is None:
            unavailable("redis-server is not on PATH")
        self._process = subprocess.Popen(
            [
                executable,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--dir", self._dir),
                *self._extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self._process.poll() is None:
            if self.answers_ping():
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"throwaway redis-server did not start on port {self.port}")

    def answers_ping(self) -> bool:
        """Whether the server answers an inline ``PING`` right now."""
        # A raw inline PING: no client library, no event loop needed here.
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL and wait: an outage, not a clean shutdown. The port stays this server's."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        self._process = None

    def freeze(self) -> None:
        """SIGSTOP: the port stays open but nothing answers, like a hung server."""
        assert self._process is not None, "freeze() before start()"
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: undo ``freeze()``."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """End the server for good and remove its working directory."""
        self.thaw()
        self.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def throwaway_redis_server() -> Iterator[ThrowawayRedis]:
    """A started ``ThrowawayRedis`` on a free port, always stopped afterwards."""
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
