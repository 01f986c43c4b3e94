"""Generated projects served by a real `fastmvc run` subprocess, and waiting for servers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import AnyStr

import httpx
import pytest

from tests.support.net import free_port

# How long a booting server may take: four workers importing FastAPI on two
# busy shared cores have needed more than 30 s. A bound on waiting, not on speed.
LIVE_TIMEOUT_SECONDS = 90

# Settings the test runner's own environment must not leak into a served project.
_PRIVATE_PREFIXES = ("DATABASE_", "REDIS_", "JWT_", "RATE_LIMIT", "LOGIN_RATE", "TRUSTED_")
_PRIVATE_NAMES = ("ENVIRONMENT", "DOCS_ENABLED", "CORS_ORIGINS", "FORWARDED_ALLOW_IPS")


def wait_until_live(
    base_url: str,
    process: subprocess.Popen[AnyStr],
    log: Path,
    what: str,
    *,
    timeout: float = LIVE_TIMEOUT_SECONDS,
) -> None:
    """Return once ``GET {base_url}/health/live`` answers 200; fail the test otherwise.

    Args:
        base_url: Where the server listens, e.g. ``http://127.0.0.1:8123``.
        process: The server process; if it exits, its log is the failure message.
        log: The file the server writes its output to.
        what: The server's name in failure messages, e.g. ``"uvicorn"``.
        timeout: Seconds to wait; several workers booting on a busy machine need more.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(f"{what} exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} did not answer /health/live within {timeout} s")


def cli_env(**settings: str) -> dict[str, str]:
    """This process's environment minus any app setting, plus ``settings``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_PRIVATE_PREFIXES) and key not in _PRIVATE_NAMES
    }
    return env | {"NO_COLOR": "1", "COLUMNS": "200"} | settings


def run_cli(
    args: list[str], cwd: Path, env: Mapping[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``fastmvc ARGS`` in a subprocess; by default fail the test unless it exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def generate_project(parent: Path, *entity: str) -> Path:
    """``fastmvc new shop`` under ``parent``, optionally one entity, migrated on SQLite."""
    env = cli_env()
    run_cli(["new", "shop", "--no-git", "--output-dir", str(parent)], parent, env)
    shop = parent / "shop"
    if entity:
        run_cli(["add", "entity", *entity], shop, env)
    run_cli(["migrate", "upgrade"], shop, env)
    return shop


@contextmanager
def served_project(project: Path, env: Mapping[str, str], log: Path) -> Iterator[str]:
    """Serve ``project`` with ``fastmvc run --no-reload`` on a free port; yield its base URL.

    The server's output goes to ``log`` (a file rather than a pipe nobody
    drains: a full pipe would block the server's logging, and with it the
    server). The server is always stopped at the end.
    """
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "fastmvc_cli", "run", "--no-reload", "--port", str(port)],
            cwd=project,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_live(base_url, server, log, "fastmvc run")
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
