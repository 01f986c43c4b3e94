"""`fastmvc migrate`: Alembic in process, on SQLite and an unreachable database.

Each command runs in a subprocess: it imports the generated project's modules.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fastmvc.testing import temporary_postgres_database
from tests.cli.support import assert_user_error, run_cli, snapshot
from tests.services import require

pytestmark = pytest.mark.slow


def _ruff_passes(project: Path) -> None:
    for command in (["check"], ["format", "--check"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def _versions(project: Path) -> set[str]:
    return {p.name for p in (project / "migrations" / "versions").glob("*.py")}


def test_upgrade_check_downgrade(project: Path) -> None:
    added = run_cli(["add", "entity", "Product", "name:str", "price:decimal?"], project)
    assert added.code == 0, added.stderr
    upgraded = run_cli(["migrate", "upgrade"], project)
    assert upgraded.code == 0, upgraded.stderr
    assert "Running upgrade" in upgraded.stdout
    assert (project / "app.db").is_file()
    checked = run_cli(["migrate", "check"], project)
    assert checked.code == 0, checked.stdout + checked.stderr
    status = run_cli(["migrate", "status"], project)
    assert status.code == 0
    assert "(head)" in status.stdout
    history = run_cli(["migrate", "history"], project)
    assert "Create the products table" in history.stdout
    down = run_cli(["migrate", "downgrade"], project)
    assert down.code == 0, down.stderr
    assert "Running downgrade" in down.stdout
    base = run_cli(["migrate", "downgrade", "base"], project)
    assert base.code == 0, base.stderr


def test_generate_refuses_an_empty_migration(project: Path) -> None:
    assert run_cli(["migrate", "upgrade"], project).code == 0
    before = _versions(project)
    assert_user_error(run_cli(["migrate", "generate", "nothing"], project), "no changes")
    assert _versions(project) == before
    empty = run_cli(["migrate", "generate", "by hand", "--empty"], project)
    assert empty.code == 0, empty.stderr
    (written,) = _versions(project) - before
    assert (
        "def upgrade() -> None:\n    pass"
        in (project / "migrations" / "versions" / written).read_text()
    )
    _ruff_passes(project)


def test_check_and_generate_see_drift(project: Path) -> None:
    assert run_cli(["migrate", "upgrade"], project).code == 0
    model = project / "shop" / "models" / "user.py"
    model.write_text(
        model.read_text().replace(
            "from fastmvc.db import Entity\n",
            "from fastmvc.db import Entity\nfrom sqlalchemy import String\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n",
        )
        + "\n    nickname: Mapped[str | None] = mapped_column(String(40))\n"
    )
    drift = run_cli(["migrate", "check"], project)
    assert_user_error(drift, "nickname")
    generated = run_cli(["migrate", "generate", "add nickname"], project)
    assert generated.code == 0, generated.stderr
    (new_file,) = [p for p in (project / "migrations" / "versions").glob("*add_nickname.py")]
    assert "op.add_column" in new_file.read_text() or "batch_op.add_column" in new_file.read_text()
    _ruff_passes(project)
    assert run_cli(["migrate", "upgrade"], project).code == 0
    assert run_cli(["migrate", "check"], project).code == 0


@pytest.mark.postgres
async def test_generate_on_postgres_is_quiet_and_formatted(project: Path) -> None:
    async with temporary_postgres_database(require("postgres")) as url:
        env = {"DATABASE_URL": url}
        added = run_cli(["add", "entity", "Note", "title:str"], project, env=env)
        assert added.code == 0, added.stderr
        assert run_cli(["migrate", "upgrade"], project, env=env).code == 0
        model = project / "shop" / "models" / "note.py"
        model.write_text(
            model.read_text() + "    score: Mapped[int | None] = mapped_column(sa.Integer)\n"
        )
        generated = run_cli(["migrate", "generate", "add score"], project, env=env)
        assert generated.code == 0, generated.stderr
        assert "Detected sequence" not in generated.stdout + generated.stderr
        assert "Generating" in generated.stdout
        _ruff_passes(project)
        assert run_cli(["migrate", "upgrade"], project, env=env).code == 0
        assert run_cli(["migrate", "check"], project, env=env).code == 0


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", "cannot reach"),
        ("sqlite+aiosqlite:////no/such/folder/app.db", "does not exist"),
        ("nosuchdialect://x", "bad DATABASE_URL"),
    ],
)
def test_unreachable_database_is_one_line(project: Path, url: str, fragment: str) -> None:
    before = snapshot(project)
    result = run_cli(["migrate", "upgrade"], project, env={"DATABASE_URL": url})
    assert_user_error(result, fragment)
    assert snapshot(project) == before


def test_migrate_outside_a_project(tmp_path: Path) -> None:
    assert_user_error(run_cli(["migrate", "upgrade"], tmp_path), "not inside a FastMVC project")


def test_run_refuses_reload_with_workers(project: Path) -> None:
    result = run_cli(["run", "--workers", "2"], project)
    assert_user_error(result, "--workers needs --no-reload")


@pytest.mark.postgres
async def test_concurrent_upgrades_take_turns(project: Path) -> None:
    """Two deploys migrating one fresh database at once both succeed (advisory lock)."""
    import asyncio
    import os

    from fastmvc.testing import temporary_postgres_database
    from tests.services import require

    assert run_cli(["add", "entity", "Product", "name:str"], project).code == 0
    async with temporary_postgres_database(require("postgres")) as url:
        env = {**os.environ, "DATABASE_URL": url, "NO_COLOR": "1"}
        upgrades = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "fastmvc_cli", "migrate", "upgrade",
                cwd=project, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(3)
        ]  # fmt: skip
        outputs = [await process.communicate() for process in upgrades]
        for process, (out, err) in zip(upgrades, outputs, strict=True):
            assert process.returncode == 0, (out + err).decode()
        ran = [out.decode().count("Running upgrade") for out, _ in outputs]
        assert sorted(ran) == [0, 0, 2]
        checked = run_cli(["migrate", "check"], project, env={"DATABASE_URL": url})
        assert checked.code == 0, checked.stderr


def test_run_refuses_a_busy_port(project: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(["run", "--no-reload", "--port", str(port)], project)
    assert_user_error(result, f"cannot listen on 127.0.0.1:{port}")


def test_run_refuses_a_missing_app_module(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"shop.main:app"', '"shop.nowhere:app"'))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(["run", "--no-reload", "--port", str(port)], project)
    assert_user_error(result, "cannot find module 'shop.nowhere'")
