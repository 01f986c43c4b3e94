"""``fastmvc run --server NAME`` as a subprocess, for tests that run on every server.

Tests take a server name from :data:`SERVERS` (``@pytest.mark.parametrize`` or
a parametrised fixture) and serve a throwaway project with :func:`fastmvc_run`,
so the same test proves the same behaviour on uvicorn and on Granian.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import free_port
from tests.support.serving import wait_until_live

__all__ = ["SERVERS", "Served", "fastmvc_run", "stop_server", "write_project"]

SERVERS = ("uvicorn", "granian")


@dataclass(frozen=True)
class Served:
    """A running ``fastmvc run``."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def write_project(root: Path, module_source: str, *, module: str = "served_app") -> Path:
    """A minimal FastMVC project in ``root``: ``[tool.fastmvc] app = "<module>:app"``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[tool.fastmvc]\napp = "{module}:app"\n')
    (root / f"{module}.py").write_text(module_source)
    return root


def stop_server(process: subprocess.Popen[bytes], timeout: float = 20) -> int:
    """SIGTERM the main process (as Docker does), wait, then kill its whole group.

    Returns:
        The exit status, or the negative signal number when it had to be killed.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with suppress(ProcessLookupError):  # workers that outlived their main process
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=10)


@contextmanager
def fastmvc_run(
    project: Path,
    server: str,
    *args: str,
    env: Mapping[str, str],
    log: Path,
    wait: bool = True,
) -> Iterator[Served]:
    """Serve ``project`` with ``fastmvc run --server SERVER --no-reload ARGS``.

    The server writes to ``log`` (a file: a pipe nobody drains would block it)
    and runs in its own process group, so that :func:`stop_server` can reach
    workers that outlive their parent.

    Args:
        project: The project's root.
        server: One of :data:`SERVERS`.
        *args: More ``fastmvc run`` options, e.g. ``"--workers", "4"``.
        env: The server's whole environment.
        log: Where the server's stdout and stderr go.
        wait: Yield only once ``/health/live`` answers 200.
    """
    port = free_port()
    command = [sys.executable, "-m", "fastmvc_cli", "run", "--server", server, "--no-reload"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), *args],
            cwd=project,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        if wait:
            wait_until_live(base_url, process, log, f"fastmvc run --server {server}")
        yield Served(base_url, process, log)
    finally:
        stop_server(process)
