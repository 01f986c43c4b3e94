"""A private PostgreSQL cluster on its own port, for tests that stop, freeze or restart it.

The shared server on 5432 serves every suite at once, so a test that breaks
PostgreSQL on purpose breaks only one of these (``pg_createcluster``, trust
authentication on 127.0.0.1, dropped at the end).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support.availability import unavailable
from tests.support.net import free_port

VERSION_DIR = Path("/usr/lib/postgresql")


class ThrowawayPostgres:
    """One cluster made with ``pg_createcluster``; ``stop``, ``freeze`` and ``start`` it at will."""

    def __init__(self) -> None:
        versions = sorted(p.name for p in VERSION_DIR.iterdir()) if VERSION_DIR.is_dir() else []
        if not shutil.which("pg_createcluster") or not versions:
            unavailable("pg_createcluster (postgresql-common) is not installed")
        self.version = versions[-1]
        self.name = f"fastmvc_outage_{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self._frozen: list[int] = []

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", self.version, self.name, *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def create(self) -> None:
        subprocess.run(
            [
                "pg_createcluster", self.version, self.name, "--port", str(self.port),
                "--start", "--", "--auth-host=trust", "--auth-local=trust",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        """An immediate shutdown: connections drop, new ones are refused."""
        self._ctl("stop", "-m", "immediate")

    def _pids(self) -> list[int]:
        pidfile = Path(f"/var/run/postgresql/{self.version}-{self.name}.pid")
        postmaster = int(pidfile.read_text().split()[0])
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(postmaster)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: ports stay open, nothing answers."""
        self._frozen = self._pids()
        for pid in self._frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._frozen:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self._frozen = []

    def drop(self) -> None:
        self.thaw()
        subprocess.run(
            ["pg_dropcluster", self.version, self.name, "--stop"],
            capture_output=True,
            timeout=120,
            check=False,
        )


@contextmanager
def throwaway_postgres_cluster() -> Iterator[ThrowawayPostgres]:
    """A started cluster on a free port, always dropped afterwards."""
    cluster = ThrowawayPostgres()
    cluster.create()
    try:
        yield cluster
    finally:
        cluster.drop()
