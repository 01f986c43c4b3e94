"""``fastmvc users create|deactivate|activate|set-password EMAIL``: accounts from the shell.

Passwords never travel on the command line (where ``ps`` and shell history
would keep them): they are read from a hidden prompt, or from standard input
with ``--password-stdin``. Every check runs before anything is written, and
each command is one transaction.

Deactivation and a new password end every session of the user at once: the
user row gets a "revoked before" mark, and with ``REDIS_URL`` set the same
mark goes to Redis, where every worker checks it on each request.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fastmvc_cli.console import console
from fastmvc_cli.errors import UserError
from fastmvc_cli.project import Project, find_project

if TYPE_CHECKING:
    from fastmvc.auth import AuthService

__all__ = ["app"]

app = typer.Typer(help="Manage user accounts of the project.", no_args_is_help=True)

EmailArg = Annotated[str, typer.Argument(help="The account's email address.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from standard input instead of a prompt."
    ),
]


def _email(value: str) -> str:
    from pydantic import ValidationError

    from fastmvc.auth.schemas import PasswordForgotIn, RegisterIn

    try:
        RegisterIn.model_validate({"email": value, "password": "x" * 64})
    except ValidationError as exc:
        raise UserError(f"{value!r} is not a valid email address") from exc
    return PasswordForgotIn(email=value).email


def _password(from_stdin: bool) -> str:
    from fastmvc.auth.schemas import MAX_PASSWORD, MIN_PASSWORD

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UserError("no terminal to prompt for the password; use --password-stdin")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    return password


def _user_model(project: Project) -> Any:
    import importlib

    try:
        models = importlib.import_module(f"{project.package}.models")
    except ImportError as exc:
        raise UserError(f"cannot import {project.package}.models: {exc}") from exc
    user = getattr(models, "User", None)
    if user is None:
        raise UserError(f"{project.package}.models has no User model")
    return user


def _settings(project: Project) -> Any:
    import importlib

    module = importlib.import_module(f"{project.package}.settings")
    return module.get_settings()


def _run(action: Callable[[AuthService[Any]], Awaitable[str]]) -> None:
    """Run ``action`` on an :class:`AuthService` in one unit of work and print its message."""
    import anyio

    project = find_project()
    project.activate()
    os.chdir(project.root)  # .env and relative SQLite paths are the project's
    user_model = _user_model(project)
    settings = _settings(project)

    async def main() -> str:
        from sqlalchemy.exc import DBAPIError, OperationalError

        from fastmvc.auth import AuthService
        from fastmvc.auth.router import account_options
        from fastmvc.db import Database
        from fastmvc.errors import FastMVCError
        from fastmvc.redis import create_redis
        from fastmvc.security import PasswordHasher, TokenService, build_token_store

        database = Database(settings.database_url, pool_size=1)
        redis = create_redis(settings)
        tokens = TokenService.from_settings(settings, build_token_store(settings, redis))
        try:
            async with database.unit_of_work() as session:
                service: AuthService[Any] = AuthService(
                    session,
                    user_model=user_model,
                    passwords=PasswordHasher.from_settings(settings),
                    tokens=tokens,
                    options=account_options(settings),
                )
                return await action(service)
        except FastMVCError as exc:
            raise UserError(exc.message) from exc
        except (OperationalError, DBAPIError, OSError) as exc:
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            raise UserError(f"cannot reach the database: {first[0] if first else exc}") from exc
        finally:
            if redis is not None:
                await redis.aclose()
            await database.dispose()

    console.print(anyio.run(main))


async def _existing(service: AuthService[Any], email: str) -> Any:
    user = await service.users.get_by_email(email)
    if user is None:
        raise UserError(f"no user with email {email}")
    return user


@app.command("create")
def create(
    email: EmailArg,
    admin: Annotated[
        bool, typer.Option("--admin", help="Make the user a superuser (the admin role).")
    ] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an active, verified account; --admin makes it a superuser."""
    address = _email(email)
    password = _password(password_stdin)

    async def action(service: AuthService[Any]) -> str:
        if await service.users.get_by_email(address) is not None:
            raise UserError(f"a user with email {address} already exists")
        user = await service.create_user(address, password, superuser=admin)
        await service.users.update(user.id, {"is_verified": True})
        role = "admin" if admin else "user"
        return f"Created {role} {address} (id {user.id})"

    _run(action)


@app.command("deactivate")
def deactivate(email: EmailArg) -> None:
    """Deactivate an account and end every one of its sessions at once."""
    address = _email(email)

    async def action(service: AuthService[Any]) -> str:
        user = await _existing(service, address)
        await service.set_active(user, False)
        return f"Deactivated {address}; every session of it has ended"

    _run(action)


@app.command("activate")
def activate(email: EmailArg) -> None:
    """Allow a deactivated account to log in again (its old tokens stay dead)."""
    address = _email(email)

    async def action(service: AuthService[Any]) -> str:
        user = await _existing(service, address)
        await service.set_active(user, True)
        return f"Activated {address}"

    _run(action)


@app.command("set-password")
def set_password(email: EmailArg, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; every session of the account ends."""
    address = _email(email)
    password = _password(password_stdin)

    async def action(service: AuthService[Any]) -> str:
        user = await _existing(service, address)
        await service.set_password(user, password)
        return f"Password of {address} changed; every session of it has ended"

    _run(action)
