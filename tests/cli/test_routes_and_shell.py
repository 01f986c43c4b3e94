"""`fastmvc routes` and `fastmvc shell` on a generated project (subprocesses: they import it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import assert_user_error, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def blog(project: Path) -> Path:
    for args in (
        ["add", "entity", "Tag", "name:str"],
        ["add", "entity", "Post", "title:str", "tags:many:Tag", "--soft-delete"],
        ["add", "entity", "Note", "text:text", "--public"],
        ["migrate", "upgrade"],
    ):
        done = run_cli(args, project)
        assert done.code == 0, done.stdout + done.stderr
    return project


def test_routes_lists_methods_access_and_handlers(blog: Path) -> None:
    result = run_cli(["routes"], blog)
    assert result.code == 0, result.stderr
    rows = {tuple(line.split()[:3]): line.split()[3] for line in result.stdout.splitlines()[1:]}
    assert rows[("POST", "/posts/{id}/restore", "user")] == (
        "shop.controllers.post:PostController.restore_item"
    )
    assert rows[("GET", "/posts", "user")] == "shop.controllers.post:PostController.list_items"
    assert ("GET", "/notes", "public") in rows
    assert ("POST", "/auth/login", "public") in rows
    assert ("GET", "/users/me", "user") in rows
    assert not any(path == "/tags/{id}/restore" for _, path, _ in rows)


def test_shell_awaits_on_the_projects_database(blog: Path) -> None:
    lines = [
        "print(sorted(name for name in dir() if name[:1].isupper()))",
        "session.add(Tag(name='from the shell'))",
        "await session.commit()",
        "print(await session.scalar(select(sa.func.count()).select_from(Tag)))",
        "print(settings.environment)",
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", "shell"],
        cwd=blog,
        env=env,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "['Note', 'Post', 'Tag', 'User']" in done.stdout
    assert ">>> 1\n" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "await works here" in done.stderr


def test_routes_outside_a_project(tmp_path: Path) -> None:
    assert_user_error(run_cli(["routes"], tmp_path), "not inside a FastMVC project")
