"""``fastmvc new NAME``: scaffold a project (``generate`` is an alias)."""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from fastmvc_cli.console import console, show_files, show_next_steps
from fastmvc_cli.errors import UserError
from fastmvc_cli.naming import validate_project_name
from fastmvc_cli.render import Plan, render_tree, write_plan
from fastmvc_cli.resources import migrations_template, project_templates
from fastmvc_cli.revisions import new_revision_id
from fastmvc_cli.venv import create_venv, install_project
from fastmvc_cli.version import distribution_version

__all__ = ["app", "build_project_plan"]

app = typer.Typer()

_EPILOG = """\
Examples:

  fastmvc new shop

  fastmvc new shop --output-dir ~/code --venv --install

  fastmvc new shop --force   (write into a folder that is not empty)
"""


def _jwt_secret() -> str:
    # 48 random bytes: far above the 32 bytes and the entropy estimate that
    # production requires (fastmvc._secrets), so no retry loop is needed.
    return secrets.token_urlsafe(48)


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for the project's migrations."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _fastmvc_requirement() -> str:
    current = distribution_version()
    extras = "pyfastmvc[admin,postgres,redis]"
    return f"{extras}>={current}" if current[:1].isdigit() and "+" not in current else extras


def build_project_plan(name: str) -> Plan:
    """Render the whole project (templates plus the Alembic template) into a plan."""
    context = {
        "project_name": name,
        "package": name,
        "jwt_secret_key": _jwt_secret(),
        "users_revision": new_revision_id(),
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "fastmvc_requirement": _fastmvc_requirement(),
        "lock_key": _lock_key(name),
    }
    plan = render_tree(project_templates(), context)
    # The migrations template's README describes the template itself, not the
    # project: the project's own README.md must not be replaced by it.
    migrations = render_tree(migrations_template(), context)
    migrations.pop(PurePosixPath("README.md"), None)
    clashes = sorted(str(path) for path in migrations.keys() & plan.keys())
    if clashes:
        raise RuntimeError(f"the project and migrations templates both write {clashes[0]}")
    plan.update(migrations)
    return plan


def _check_target(target: Path, *, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UserError(f"{target} is not empty; pass --force to write into it anyway")


def _git_init(target: Path) -> None:
    git = shutil.which("git")
    if git is None:
        console.print("[yellow]git not found: skipped `git init`[/yellow]")
        return
    done = subprocess.run(  # noqa: S603
        [git, "init", "--quiet", str(target)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        # The project is written by now; a failed `git init` is not worth undoing it.
        console.print(f"[yellow]`git init` failed: {done.stderr.strip()}[/yellow]")


def _scaffold(
    name: str, output_dir: Path, git: bool, venv: bool, install: bool, force: bool
) -> None:
    validate_project_name(name)
    target = output_dir.expanduser().resolve() / name
    _check_target(target, force=force)
    plan = build_project_plan(name)
    written = write_plan(target, plan)
    if git:
        _git_init(target)
    show_files(f"Created {target}", target, written)
    if venv or install:
        create_venv(target / ".venv")
    if install:
        install_project(target, target / ".venv")
    steps = [f"cd {target}"]
    if venv or install:
        steps.append("source .venv/bin/activate")
    if not install:
        steps.append('pip install -e ".[dev]"')
    steps += [
        "fastmvc migrate upgrade      (creates the users table)",
        "pytest",
        "fastmvc run                  (then open http://127.0.0.1:8000/docs)",
        "fastmvc add entity NAME FIELD:TYPE…   (see fastmvc add entity --help)",
    ]
    show_next_steps(steps)


@app.command("new", epilog=_EPILOG)
def new(
    name: Annotated[str, typer.Argument(help="Project and package name (snake_case).")],
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Folder to create the project in.")
    ] = Path(),
    git: Annotated[bool, typer.Option("--git/--no-git", help="Run `git init`.")] = True,
    venv: Annotated[bool, typer.Option("--venv", help="Create .venv in the project.")] = False,
    install: Annotated[
        bool, typer.Option("--install", help="Install the project into .venv (implies --venv).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty folder.")] = False,
) -> None:
    """Create a new FastMVC project in OUTPUT_DIR/NAME.

    The project has auth (register, login, refresh, logout, me), async Alembic
    migrations, tests, a Dockerfile and a docker-compose.yml, and a .env with a
    fresh random JWT secret.
    """
    _scaffold(name, output_dir, git, venv, install, force)


# `generate` is the seed's name for the same command.
app.command("generate", hidden=True, epilog=_EPILOG)(new)
