"""A private PostgreSQL primary and a streaming replica of it, on loopback ports.

The primary is a cluster of the test's own (``initdb`` in a temporary
directory); the replica is made from it with ``pg_basebackup -R``, so it
streams the primary's WAL exactly as a production standby does. Neither
touches the shared server on 5432. PostgreSQL refuses to run as root, so
when the tests run as root the server commands run as the ``postgres`` user.

Free of pytest, so ``make bench`` builds its replica with it too.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.net import free_port

COMMAND_TIMEOUT_SECONDS = 120


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server programs (or a user to run them as) are missing."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
        )
    return Path(initdb).parent


def _version(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


class PostgresNode:
    """One PostgreSQL server in its own data directory, started and stopped by the test."""

    def __init__(self, bindir: Path, data: Path, port: int, run_as: Sequence[str]) -> None:
        self.bindir = bindir
        self.data = data
        self.port = port
        self._run_as = list(run_as)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """The libpq/asyncpg DSN of ``database`` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str) -> None:
        """Run one of the server's programs as the server's user; raise on an error."""
        done = subprocess.run(
            [*self._run_as, str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.data} -c fsync=off"
        )
        log = str(self.data / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop the server (fast: open sessions are ended, as in a real outage)."""
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


class ReplicatedPostgres:
    """A primary and one streaming replica of it."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root needs a 'postgres' user to run PostgreSQL as"
                ) from None
            run_as = ["runuser", "-u", "postgres", "--"]
        else:
            run_as = []
        self._root = Path(tempfile.mkdtemp(prefix="fastmvc-test-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self._root, "postgres", "postgres")
        self.primary = PostgresNode(self.bindir, self._root / "primary", free_port(), run_as)
        self.replica = PostgresNode(self.bindir, self._root / "replica", free_port(), run_as)

    def start(self) -> None:
        """``initdb`` the primary, start it, clone it with ``pg_basebackup -R``, start the replica."""
        primary = self.primary
        primary.run(
            "initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        primary.start()
        # -R writes standby.signal and primary_conninfo: the copy starts as a
        # hot standby streaming from the primary. -X stream copies the WAL
        # written during the backup too.
        primary.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(self.replica.data), "-R", "-X", "stream", "-c", "fast"),
        )
        self.replica.start()

    def stop(self) -> None:
        """Stop both servers and remove their data."""
        for node in (self.replica, self.primary):
            # Keep stopping the rest if one fails; the data goes anyway.
            with contextlib.suppress(BaseException):
                node.stop()
        shutil.rmtree(self._root, ignore_errors=True)


@contextmanager
def replicated_postgres() -> Iterator[ReplicatedPostgres]:
    """A started :class:`ReplicatedPostgres`, always stopped afterwards."""
    pair = ReplicatedPostgres()
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
