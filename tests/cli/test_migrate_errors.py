"""`fastmvc migrate` with corrupted migration files: one `Error:` line and exit 2, never a traceback.

A failure inside a migration's own ``upgrade()`` is the user's code: one line
naming the revision comes first, then the traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.support import assert_user_error, run_cli

pytestmark = pytest.mark.slow


def _users_migration(project: Path) -> Path:
    (path,) = (project / "migrations" / "versions").glob("*_create_users_table.py")
    return path


@pytest.mark.parametrize("command", [["upgrade"], ["status"], ["history"], ["check"]])
def test_a_syntax_error_is_one_line(project: Path, command: list[str]) -> None:
    path = _users_migration(project)
    path.write_text(path.read_text() + "\ndef broken(:\n")
    result = run_cli(["migrate", *command], project)
    assert_user_error(result, "cannot load the migrations")
    assert path.name in result.stderr


def test_nul_bytes_are_one_line(project: Path) -> None:
    path = _users_migration(project)
    path.write_bytes(path.read_bytes() + b"\x00\x00")
    assert_user_error(run_cli(["migrate", "upgrade"], project), "cannot load the migrations")


def test_a_missing_down_revision_is_one_line(project: Path) -> None:
    path = _users_migration(project)
    text = re.sub(r"^down_revision(.*)= None$", 'down_revision\\1= "0000deadbeef"', path.read_text(),
                  flags=re.MULTILINE)  # fmt: skip
    assert "0000deadbeef" in text
    path.write_text(text)
    result = run_cli(["migrate", "upgrade"], project)
    assert_user_error(result, "cannot load the migrations")
    assert "0000deadbeef" in result.stderr


def test_a_failing_upgrade_names_its_revision_then_shows_the_traceback(project: Path) -> None:
    path = _users_migration(project)
    revision = re.search(r'^revision: str = "(\w+)"', path.read_text(), re.MULTILINE)
    assert revision is not None
    text = path.read_text().replace(
        "def upgrade() -> None:\n", 'def upgrade() -> None:\n    raise RuntimeError("boom")\n'
    )
    path.write_text(text)
    result = run_cli(["migrate", "upgrade"], project)
    assert result.code == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: migration {revision.group(1)} failed: boom"
    assert "Traceback" in result.stderr and "RuntimeError: boom" in result.stderr
