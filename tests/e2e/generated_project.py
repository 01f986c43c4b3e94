"""A generated project, scaffolded once and served by `fastmvc run` as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support.net import free_port
from tests.support.serving import wait_until_live

STOP_TIMEOUT_SECONDS = 15


def project_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any service URL: the project's own .env rules."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "PROMETHEUS_", "OTEL_"))
    }
    env |= {"NO_COLOR": "1", "COLUMNS": "200"}
    env |= dict(extra or {})
    return env


def cli(args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
    """Run ``fastmvc ARGS``; fail with its output when it does not exit 0."""
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", *args],
        cwd=cwd,
        env=project_env(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def scaffold_shop(parent: Path) -> Path:
    """``fastmvc new shop`` with a Product entity, migrated on SQLite."""
    cli(["new", "shop", "--no-git", "--output-dir", str(parent)], parent)
    shop = parent / "shop"
    cli(["add", "entity", "Product", "name:str", "price:decimal", "stock:int"], shop)
    cli(["migrate", "upgrade"], shop)
    return shop


@contextmanager
def served(
    project: Path,
    log_dir: Path,
    *,
    workers: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """``fastmvc run --no-reload`` on a free port; yields the base URL, always stops it."""
    port = free_port()
    command = [sys.executable, "-m", "fastmvc_cli", "run", "--no-reload", "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    log_path = log_dir / f"server-{port}.log"
    # A file rather than a pipe nobody drains: a full pipe would block the server.
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command,
            cwd=project,
            env=project_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_live(base_url, server, log_path, "fastmvc run")
            yield base_url
        finally:
            if server.poll() is None:
                # SIGINT, as Ctrl-C would: `fastmvc run` cleans up after its workers.
                os.killpg(server.pid, signal.SIGINT)
                try:
                    server.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(timeout=STOP_TIMEOUT_SECONDS)
