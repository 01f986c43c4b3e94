"""Checks ``fastmvc run`` makes before it hands the app to a server.

The app's settings refuse to load when they are unsafe (production without a
real ``JWT_SECRET_KEY`` or without ``REDIS_URL``…). Loading them here first
turns that refusal into one ``Error:`` line and exit 2, instead of a
traceback from every server worker.
"""

from __future__ import annotations

from fastmvc_cli.errors import UserError

__all__ = ["check_settings"]


def check_settings() -> None:
    """Load the settings of the project in the current folder (its ``.env`` too).

    Raises:
        UserError: The settings are invalid or unsafe for their environment.
    """
    from pydantic import ValidationError

    from fastmvc.settings import Settings

    try:
        Settings()
    except ValidationError as exc:
        problems = "; ".join(
            str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()
        )
        raise UserError(f"the app's settings are refused: {problems}") from None
