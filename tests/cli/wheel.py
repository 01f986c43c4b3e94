"""The built wheel in a fresh virtual environment, and the database the flows run on.

The wheel is built once per session and installed into one fresh virtual
environment that every flow shares, so a file missing from the wheel fails
there even when an editable checkout would have it. Each flow runs once on
SQLite and once on the real PostgreSQL (a fresh database, dropped afterwards).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastmvc.testing import temporary_postgres_database
from tests.services import require

REPO = Path(__file__).resolve().parents[2]
TEST_TOOLS = ["pytest", "pytest-asyncio", "httpx", "ruff"]


@dataclass(frozen=True)
class Venv:
    """A fresh virtual environment with the wheel installed."""

    bin: Path

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        program, *rest = args
        executable = str(self.bin / program)
        done = subprocess.run(
            [executable, *rest],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done


def _pip(python: Path, *args: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """Build the wheel once; install it with a generated project's extras and test tools."""
    root = tmp_path_factory.mktemp("wheel")
    _pip(Path(sys.executable), "wheel", "--no-deps", "--quiet", "--wheel-dir", str(root), str(REPO))
    (wheel,) = root.glob("pyfastmvc-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip(python, "install", "--quiet", f"{wheel}[admin,postgres,redis]", *TEST_TOOLS)
    return Venv(venv / "bin")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """The environment of the flow: no DATABASE_URL (SQLite), or a fresh PostgreSQL database.

    The runner's own ``REDIS_URL`` stays out too: a served project on the
    shared Redis would count its requests in the same ``127.0.0.1`` limiter
    windows as every other served test of the hour, and meet 429s that are
    not its own.
    """
    private = ("DATABASE_", "REDIS_", "PYTEST_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(private)}
    env |= {"NO_COLOR": "1", "COLUMNS": "200"}
    if request.param == "sqlite":
        yield env
        return
    async with temporary_postgres_database(require("postgres")) as url:
        yield env | {"DATABASE_URL": url}
