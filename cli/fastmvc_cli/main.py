"""The ``fastmvc`` command: the Typer app and the one place user errors are caught."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from fastmvc_cli.commands import add, migrate, new, routes, run, shell, users
from fastmvc_cli.errors import USER_ERROR_EXIT_CODE, UserError
from fastmvc_cli.version import distribution_version

__all__ = ["app", "main"]

app = typer.Typer(
    name="fastmvc",
    no_args_is_help=True,
    rich_markup_mode="rich",
    # Locals in a bug's traceback could hold secrets read from .env.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(new.app)
app.add_typer(add.app, name="add")
app.add_typer(migrate.app, name="migrate")
app.add_typer(run.app)
app.add_typer(users.app, name="users")
app.add_typer(routes.app)
app.add_typer(shell.app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"fastmvc, version {distribution_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """FastMVC: scaffold async FastAPI projects, add CRUD entities, migrate and serve.

    Examples:

        fastmvc new shop && cd shop

        fastmvc add entity Product name:str price:decimal stock:int

        fastmvc migrate upgrade && fastmvc run
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; a :class:`UserError` becomes one ``Error:`` line and exit code 2."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="fastmvc")
    except UserError as exc:
        sys.stderr.write(f"Error: {exc.message}\n")
        sys.exit(USER_ERROR_EXIT_CODE)
