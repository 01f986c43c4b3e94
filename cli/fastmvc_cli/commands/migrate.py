"""``fastmvc migrate …``: Alembic's commands, run in process on the project's async env.py.

Alembic is imported inside each command (``fastmvc --version`` must not load
it). The configuration is built in code from the project's layout; the
database URL comes from the project's settings, read by ``migrations/env.py``.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fastmvc_cli.console import console
from fastmvc_cli.errors import UserError
from fastmvc_cli.migration_files import failing_revision, load_migrations
from fastmvc_cli.project import Project, find_project

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["app", "build_config"]

app = typer.Typer(
    help="Database migrations (Alembic, async), run on the project's DATABASE_URL.",
    no_args_is_help=True,
)


def build_config(project: Project) -> Config:
    """An Alembic config for ``project``, with no alembic.ini needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(project.migrations_dir))
    config.set_main_option("path_separator", "os")
    return config


def _redacted(url: object) -> str:
    if not isinstance(url, str) or not url:
        return "the configured database"
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL is reported by the driver error itself
        return "the configured database"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _project_database_url(project: Project) -> str | None:
    """The URL the project's settings give, read the way env.py reads it."""
    import importlib

    settings_module = importlib.import_module(f"{project.package}.settings")
    get_settings = getattr(settings_module, "get_settings", None)
    if get_settings is None:
        return None
    url = getattr(get_settings(), "database_url", None)
    return url if isinstance(url, str) and url else None


def _check_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder; say so before the driver fails."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise UserError(f"cannot reach {url}: the folder {folder} does not exist")


@contextmanager
def _alembic(project: Project) -> Iterator[Config]:
    """Run Alembic for ``project``; turn its user-facing failures into :class:`UserError`."""
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import ArgumentError, DBAPIError

    if not project.migrations_dir.is_dir():
        raise UserError(f"{project.migrations_dir} is missing; is this a FastMVC project?")
    project.activate()
    # Relative SQLite paths and .env are the project's, wherever the user stands.
    os.chdir(project.root)
    _show_alembic_log()
    config = build_config(project)
    try:
        url = _project_database_url(project)
        if url is not None:
            config.attributes["database_url"] = url
            if url.startswith("sqlite"):
                _check_sqlite_folder(url)
        load_migrations(config)
        try:
            yield config
        except (UserError, CommandError, DBAPIError, OSError, TimeoutError, ArgumentError):
            raise
        except Exception as exc:
            _report_migration_bug(config, exc)
            raise
    except CommandError as exc:
        raise UserError(_first_line(exc)) from exc
    except DBAPIError as exc:
        where = _redacted(config.attributes.get("database_url"))
        if exc.statement is None or exc.connection_invalidated:
            raise UserError(f"cannot reach {where}: {_first_line(exc)}") from exc
        raise UserError(f"migration failed on {where}: {_first_line(exc)}") from exc
    except (OSError, TimeoutError) as exc:
        where = _redacted(config.attributes.get("database_url"))
        raise UserError(f"cannot reach {where}: {_first_line(exc)}") from exc
    except ArgumentError as exc:
        raise UserError(f"bad DATABASE_URL: {_first_line(exc)}") from exc
    except ModuleNotFoundError as exc:
        raise UserError(f"cannot import {exc.name}: is its package installed?") from exc


def _report_migration_bug(config: Config, exc: BaseException) -> None:
    """A migration's own code failed: one line naming it, then its traceback, exit 1."""
    revision = failing_revision(config, exc)
    if revision is None:
        return
    typer.echo(f"Error: migration {revision} failed: {_first_line(exc)}", err=True)
    traceback.print_exception(exc, file=sys.stderr)
    raise typer.Exit(1) from None


# "Detected sequence …" is PostgreSQL's autogenerate noticing every BIGSERIAL-style id.
_NOISE = ("Context impl", "Will assume", "setting up autogenerate plugin", "Detected sequence")


def _not_noise(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(_NOISE)


def _show_alembic_log() -> None:
    """Print Alembic's progress lines (``Running upgrade …``) on stdout.

    Alembic only gives its logger a NullHandler. Stdout keeps stderr for the
    one ``Error:`` line of a failure.
    """
    logger = logging.getLogger("alembic")
    if all(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(_not_noise)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _run(action: Callable[[Config], Any]) -> None:
    with _alembic(find_project()) as config:
        action(config)


@app.command("generate", epilog='Example:\n\n  fastmvc migrate generate "add sku to products"')
def generate(
    message: Annotated[str, typer.Argument(help="What the migration does.")],
    empty: Annotated[
        bool, typer.Option("--empty", help="Write an empty migration to fill by hand.")
    ] = False,
) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    from alembic import command

    found_nothing = False

    def refuse_empty(context: Any, revision: Any, directives: list[Any]) -> None:
        nonlocal found_nothing
        if directives and directives[0].upgrade_ops.is_empty():
            directives.clear()
            found_nothing = True

    project = find_project()
    with _alembic(project) as config:
        if empty:
            written = command.revision(config, message=message)
        else:
            written = command.revision(
                config, message=message, autogenerate=True, process_revision_directives=refuse_empty
            )
    scripts = written if isinstance(written, list) else [written]
    for script in scripts:
        if script is not None and not found_nothing:
            _format_file(project, Path(script.path))
    if found_nothing:
        raise UserError(
            "no changes between the models and the database; pass --empty to write one anyway"
        )


def _format_file(project: Project, path: Path) -> None:
    """Format a migration Alembic wrote as ``ruff format`` would, when ruff is installed.

    Alembic renders single quotes and its own line breaks; generated projects
    list ruff among their dev dependencies and check ``ruff format``.
    """
    import importlib.util
    import shutil
    import subprocess

    if importlib.util.find_spec("ruff") is not None:
        ruff = [sys.executable, "-m", "ruff"]
    elif found := shutil.which("ruff"):
        ruff = [found]
    else:
        return
    subprocess.run(  # noqa: S603
        [*ruff, "format", "--quiet", str(path)],
        cwd=project.root,
        capture_output=True,
        check=False,
        timeout=60,
    )


@app.command(
    "upgrade", epilog="Examples:\n\n  fastmvc migrate upgrade\n\n  fastmvc migrate upgrade +1"
)
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database to REVISION (default: head)."""
    from alembic import command

    _run(lambda config: command.upgrade(config, revision))
    console.print(f"[green]✓[/green] migrated to {revision}")


@app.command(
    "downgrade",
    # Lets `downgrade -1` through as a revision instead of an unknown option.
    context_settings={"ignore_unknown_options": True},
    epilog="Examples:\n\n  fastmvc migrate downgrade\n\n  fastmvc migrate downgrade base",
)
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "-1",
) -> None:
    """Downgrade the database to REVISION (default: one step back, -1)."""
    from alembic import command

    _run(lambda config: command.downgrade(config, revision))
    console.print(f"[green]✓[/green] migrated to {revision}")


@app.command("status", epilog="Example:\n\n  fastmvc migrate status")
def status() -> None:
    """Show the database's current revision and the heads of the migrations."""
    from alembic import command

    def show(config: Config) -> None:
        console.print("[bold]Database revision:[/bold]")
        command.current(config, verbose=False)
        console.print("[bold]Migration heads:[/bold]")
        command.heads(config, verbose=False)

    _run(show)


@app.command("history", epilog="Example:\n\n  fastmvc migrate history")
def history() -> None:
    """List the migrations, newest first, marking the database's current one."""
    from alembic import command

    _run(lambda config: command.history(config, indicate_current=True))


@app.command("check", epilog="Example:\n\n  fastmvc migrate check")
def check() -> None:
    """Fail (exit 2) when the models and the migrations disagree."""
    from alembic import command

    _run(command.check)
    console.print("[green]✓[/green] the models and the migrations agree")
