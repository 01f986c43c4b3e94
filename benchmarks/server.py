"""Serve an app factory under uvicorn or Granian in its own process, for a benchmark.

Every suite runs its servers the same way: one worker on a free loopback
port, no access log, uvloop (and httptools for uvicorn) when installed, so
the figures of different suites are comparable. Granian runs as
``fastmvc run --server granian`` sets it up: the ASGI interface, its
default (uvloop) event loop, no access log.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["free_port", "granian_command", "serve", "uvicorn_command"]

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(
    factory: str, port: int, *, app_dir: Path | None = None, workers: int | None = None
) -> list[str]:
    """The uvicorn command line that serves ``factory`` on ``port``.

    Args:
        factory: import string of an app factory, ``module:function``.
        port: the port to listen on.
        app_dir: added to ``sys.path`` by uvicorn before importing ``factory``.
        workers: passed as ``--workers`` when given (uvicorn's default is one).
    """
    command = [sys.executable, "-m", "uvicorn", factory, "--factory"]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    command += ["--host", HOST, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    if importlib.util.find_spec("uvloop"):
        command += ["--loop", "uvloop"]
    if importlib.util.find_spec("httptools"):
        command += ["--http", "httptools"]
    return command


def granian_command(
    factory: str, port: int, *, app_dir: Path | None = None, workers: int | None = None
) -> list[str]:
    """The Granian command line that serves ``factory`` on ``port``; see :func:`uvicorn_command`."""
    command = [sys.executable, "-m", "granian", factory, "--factory", "--interface", "asgi"]
    if app_dir is not None:
        command += ["--working-dir", str(app_dir)]
    command += ["--host", HOST, "--port", str(port), "--workers", str(workers or 1)]
    return [*command, "--no-access-log", "--log-level", "warning"]


_COMMANDS = {"uvicorn": uvicorn_command, "granian": granian_command}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:  # refused while starting up, or a non-2xx answer
        return False


@contextlib.contextmanager
def serve(
    factory: str,
    *,
    ready_path: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    app_dir: Path | None = None,
    workers: int | None = None,
    server: str = "uvicorn",
) -> Iterator[str]:
    """Run ``factory`` under ``server`` and yield its base URL once ``ready_path`` answers 200.

    The server's output goes to /dev/null; it is terminated (killed after 10 s)
    on exit.

    Args:
        factory: import string of an app factory, ``module:function``.
        ready_path: a path that answers 200 once the app is up.
        cwd: the server's working directory.
        env: the server's environment; the caller's when None.
        app_dir: see :func:`uvicorn_command`.
        workers: see :func:`uvicorn_command`.
        server: ``"uvicorn"`` or ``"granian"``.

    Raises:
        RuntimeError: the server exited, or did not answer within 30 s.
    """
    port = free_port()
    base = f"http://{HOST}:{port}"
    process = subprocess.Popen(
        _COMMANDS[server](factory, port, app_dir=app_dir, workers=workers),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(base + ready_path):
            if process.poll() is not None:
                raise RuntimeError(f"{server} ({factory}) exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server} ({factory}) did not answer")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
