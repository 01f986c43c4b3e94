"""Servers as subprocesses: generated projects under a real `fastmvc run`, and any command.

- :func:`served_process` runs any server command and always stops it;
- :func:`served_project` is that for ``fastmvc run`` in a generated project;
- :func:`generate_project`, :func:`run_cli` and :func:`cli_env` make the project.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import AnyStr

import httpx
import pytest

from tests.support.net import free_port

# How long a booting server may take: four workers importing FastAPI on two
# busy shared cores have needed more than 30 s. A bound on waiting, not on speed.
LIVE_TIMEOUT_SECONDS = 120

STOP_TIMEOUT_SECONDS = 15

# Settings the test runner's own environment must not leak into a served project.
_PRIVATE_PREFIXES = (
    *("DATABASE_", "REDIS_", "JWT_", "RATE_LIMIT", "LOGIN_RATE", "TRUSTED_"),
    *("PROMETHEUS_", "OTEL_"),
)
_PRIVATE_NAMES = ("ENVIRONMENT", "DOCS_ENABLED", "CORS_ORIGINS", "FORWARDED_ALLOW_IPS")
# ...except the run's own Redis key prefixes (tests/conftest.py): a served
# project given a shared Redis keeps its keys under them too.
_RUN_NAMES = ("RATE_LIMIT_PREFIX", "TOKEN_STORE_PREFIX")


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
        if key in _RUN_NAMES
        or (not key.startswith(_PRIVATE_PREFIXES) and key not in _PRIVATE_NAMES)
    }
    return env | {"NO_COLOR": "1", "COLUMNS": "200"} | settings


def run_cli(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str],
    *,
    check: bool = True,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``fastmvc ARGS`` in a subprocess; by default fail the test unless it exits 0.

    ``input`` is written to its stdin (a password for ``--password-stdin``).
    """
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", *args],
        cwd=cwd,
        env=dict(env),
        input=input,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def generate_project(
    parent: Path, *entities: Sequence[str], env: Mapping[str, str] | None = None
) -> Path:
    """``fastmvc new shop`` under ``parent``, with ``entities``, migrated.

    Each entity is the argument list of one ``fastmvc add entity``, e.g.
    ``["Product", "name:str", "--public"]``. ``env`` defaults to :func:`cli_env`
    (SQLite); the same environment must then serve the project.
    """
    env = cli_env() if env is None else env
    run_cli(["new", "shop", "--no-git", "--output-dir", str(parent)], parent, env)
    shop = parent / "shop"
    for entity in entities:
        run_cli(["add", "entity", *entity], shop, env)
    run_cli(["migrate", "upgrade"], shop, env)
    return shop


@contextmanager
def served_process(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    what: str,
    port: int | None = None,
    stop_signal: signal.Signals = signal.SIGTERM,
    live_timeout: float = LIVE_TIMEOUT_SECONDS,
    settle_seconds: float = 0.0,
) -> Iterator[str]:
    """Run a server ``command``, yield its base URL once it is live, always stop it.

    Args:
        command: The argv; ``{port}`` in any part is replaced by the port.
        cwd: Where it runs.
        env: Its whole environment.
        log: The file its output goes to (a file rather than a pipe nobody
            drains: a full pipe would block the server's logging, and with
            it the server).
        what: Its name in failure messages.
        port: The port; a free one by default.
        stop_signal: What stops it; the whole process group gets it, so
            workers go too, then SIGKILL if it does not exit in time.
        live_timeout: How long it may take to answer ``/health/live``.
        settle_seconds: Extra wait once live (other workers finish booting).
    """
    port = free_port() if port is None else port
    argv = [part.replace("{port}", str(port)) for part in command]
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_live(base_url, process, log, what, timeout=live_timeout)
            if settle_seconds:
                time.sleep(settle_seconds)
            yield base_url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, stop_signal)
                try:
                    process.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=STOP_TIMEOUT_SECONDS)


def served_project(
    project: Path,
    env: Mapping[str, str],
    log: Path,
    *,
    workers: int | None = None,
    fastmvc: Sequence[str] = (sys.executable, "-m", "fastmvc_cli"),
) -> AbstractContextManager[str]:
    """Serve ``project`` with ``fastmvc run --no-reload`` on a free port; yield its base URL.

    ``fastmvc`` is the command to run, by default this interpreter's CLI. It
    is stopped with SIGINT, as Ctrl-C would: ``fastmvc run`` cleans up after
    its workers.
    """
    command = [*fastmvc, "run", "--no-reload", "--port", "{port}"]
    if workers:
        command += ["--workers", str(workers)]
    return served_process(
        command, cwd=project, env=env, log=log, what="fastmvc run", stop_signal=signal.SIGINT
    )
