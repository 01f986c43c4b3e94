"""`fastmvc users`: accounts from the shell, never a password in argv, nothing written on refusal."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import Result, assert_user_error, run_cli

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"


def users(args: list[str], project: Path, stdin: str | None = None) -> Result:
    """``fastmvc users ARGS`` in a subprocess, with ``stdin`` piped in."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", "users", *args],
        cwd=project,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def rows(project: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(project / "app.db") as db:
        db.row_factory = sqlite3.Row
        query = (
            "SELECT email, password_hash, is_active, is_superuser, is_verified, revoked_before "
            "FROM users ORDER BY id"
        )
        return [dict(row) for row in db.execute(query)]


@pytest.fixture
def migrated(project: Path) -> Path:
    assert run_cli(["migrate", "upgrade"], project).code == 0
    return project


@pytest.fixture(scope="module")
def with_a_user(pristine_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated project with taken@example.com, shared by the refusal tests."""
    target = tmp_path_factory.mktemp("users") / "shop"
    shutil.copytree(pristine_project, target)
    assert run_cli(["migrate", "upgrade"], target).code == 0
    assert users(["create", "taken@example.com", "--password-stdin"], target, PASSWORD).code == 0
    return target


def test_create_a_user_and_an_admin(migrated: Path) -> None:
    made = users(["create", "Ada@Example.com", "--password-stdin"], migrated, PASSWORD + "\n")
    assert made.code == 0, made.stderr
    assert "Created user ada@example.com" in made.stdout
    admin = users(["create", "root@example.com", "--admin", "--password-stdin"], migrated, PASSWORD)
    assert admin.code == 0, admin.stderr
    assert "Created admin root@example.com" in admin.stdout
    found = rows(migrated)
    assert [(r["email"], r["is_superuser"], r["is_verified"]) for r in found] == [
        ("ada@example.com", 0, 1),
        ("root@example.com", 1, 1),
    ]
    assert all(r["password_hash"].startswith("$argon2id$") for r in found)
    assert PASSWORD not in made.stdout + made.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["create", "taken@example.com", "--password-stdin"], PASSWORD, "already exists"),
        (["create", "not-an-email", "--password-stdin"], PASSWORD, "not a valid email"),
        (["create", "new@example.com", "--password-stdin"], "short\n", "8 to 1024 characters"),
        (["create", "new@example.com", "--password-stdin"], "\n", "8 to 1024 characters"),
        (["create", "new@example.com"], None, "use --password-stdin"),
        (["deactivate", "nobody@example.com"], None, "no user with email nobody@example.com"),
        (["activate", "nobody@example.com"], None, "no user with email"),
        (["set-password", "nobody@example.com", "--password-stdin"], PASSWORD, "no user"),
    ],
)
def test_refusals_are_one_error_line_and_write_nothing(
    with_a_user: Path, args: list[str], stdin: str | None, fragment: str
) -> None:
    before = rows(with_a_user)
    assert_user_error(users(args, with_a_user, stdin), fragment)
    assert rows(with_a_user) == before


def test_a_password_is_never_taken_from_argv(with_a_user: Path) -> None:
    before = rows(with_a_user)
    refused = users(["create", "ada@example.com", "--password", PASSWORD], with_a_user)
    assert refused.code == 2
    assert rows(with_a_user) == before


def test_deactivate_activate_and_set_password_mark_the_row(migrated: Path) -> None:
    assert users(["create", "ada@example.com", "--password-stdin"], migrated, PASSWORD).code == 0
    (fresh,) = rows(migrated)
    assert fresh["is_active"] == 1 and fresh["revoked_before"] is None
    off = users(["deactivate", "ada@example.com"], migrated)
    assert off.code == 0 and "every session of it has ended" in off.stdout
    (deactivated,) = rows(migrated)
    assert deactivated["is_active"] == 0 and deactivated["revoked_before"] is not None
    assert users(["activate", "ada@example.com"], migrated).code == 0
    (active,) = rows(migrated)
    assert active["is_active"] == 1
    changed = users(
        ["set-password", "ada@example.com", "--password-stdin"], migrated, "a new long password"
    )
    assert changed.code == 0, changed.stderr
    (after,) = rows(migrated)
    assert after["password_hash"] != active["password_hash"]
    assert after["revoked_before"] >= active["revoked_before"]


def test_users_outside_a_project(tmp_path: Path) -> None:
    assert_user_error(
        users(["deactivate", f"{uuid.uuid4().hex}@example.com"], tmp_path),
        "not inside a FastMVC project",
    )
