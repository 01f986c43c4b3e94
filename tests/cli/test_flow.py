"""The whole flow, from the built wheel: new → add entities → migrate → the project's own tests.

It runs once on SQLite and once on the real PostgreSQL (a fresh database,
dropped afterwards). The wheel is built once and installed into one fresh
virtual environment that both runs share, so a file missing from the wheel
fails here even when an editable checkout would have it.
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

# Builds the wheel and a fresh venv, then runs everything twice: far past the default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

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
    """Build the wheel once and install it, with test tools, into a fresh venv."""
    root = tmp_path_factory.mktemp("wheel")
    _pip(Path(sys.executable), "wheel", "--no-deps", "--quiet", "--wheel-dir", str(root), str(REPO))
    (wheel,) = root.glob("pyfastmvc-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip(python, "install", "--quiet", f"{wheel}[postgres,redis]", *TEST_TOOLS)
    return Venv(venv / "bin")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """The environment of the flow: no DATABASE_URL (SQLite), or a fresh PostgreSQL database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST_"))}
    env |= {"NO_COLOR": "1", "COLUMNS": "200"}
    if request.param == "sqlite":
        yield env
        return
    async with temporary_postgres_database(require("postgres")) as url:
        yield env | {"DATABASE_URL": url}


def test_new_add_migrate_and_the_generated_tests(
    wheel_venv: Venv, database_env: dict[str, str], tmp_path: Path
) -> None:
    run, env = wheel_venv.run, database_env
    run(["fastmvc", "new", "shop", "--no-git"], tmp_path, env)
    shop = tmp_path / "shop"
    run(["fastmvc", "add", "entity", "Category", "name:str:unique"], shop, env)
    run(
        ["fastmvc", "add", "entity", "Product", "name:str", "price:decimal", "stock:int",
         "note:text?", "category:references"],
        shop,
        env,
    )  # fmt: skip
    upgraded = run(["fastmvc", "migrate", "upgrade"], shop, env)
    assert "Create the products table" in upgraded.stdout
    run(["fastmvc", "migrate", "check"], shop, env)

    tests = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], shop, env)
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    for exercised in ("test_auth.py", "test_category.py", "test_product.py"):
        assert (shop / "tests" / exercised).is_file()
    verbose = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co"], shop, env)
    collected = verbose.stdout
    assert "test_auth.py::test_logout_revokes_the_token" in collected
    assert "test_product.py::test_list_pages_with_a_cursor" in collected
    assert "test_category.py::test_update_checks_the_version" in collected

    run(["ruff", "check", "--no-cache", "."], shop, env)

    down = run(["fastmvc", "migrate", "downgrade", "base"], shop, env)
    assert "Running downgrade" in down.stdout
    run(["fastmvc", "migrate", "upgrade"], shop, env)
    run(["fastmvc", "migrate", "check"], shop, env)
