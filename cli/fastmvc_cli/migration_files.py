"""Load a project's migration files up front, and name the one a failure came from.

Alembic reads the version files lazily, in the middle of a command, so a
corrupted file (a syntax error, NUL bytes, a ``down_revision`` naming a
revision that does not exist) surfaced as a traceback. Loading them all
first turns each of those into one ``Error:`` line. A failure later, inside
a migration's own ``upgrade()``, is the user's code: :func:`failing_revision`
finds which file it came from, so the CLI can say so before the traceback.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from fastmvc_cli.errors import UserError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["failing_revision", "load_migrations"]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and exc.filename:
        where = Path(exc.filename).name + (f", line {exc.lineno}" if exc.lineno else "")
        return f"{where}: {exc.msg}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def load_migrations(config: Config) -> None:
    """Import every version file and check the revision graph.

    Raises:
        UserError: A file cannot be loaded, or the graph names a missing revision.
    """
    from alembic.script import ScriptDirectory

    with warnings.catch_warnings(record=True) as caught:
        # Alembic only warns about a down_revision that names no revision,
        # then fails later with a bare KeyError; its warning says it best.
        warnings.simplefilter("always")
        try:
            script = ScriptDirectory.from_config(config)
            for _revision in script.walk_revisions():
                pass
            script.get_heads()
        except Exception as exc:  # any failure here is a broken migration file
            problem = _describe(exc)
            for warning in caught:
                if "is not present" in str(warning.message):
                    problem = str(warning.message).splitlines()[0]
            raise UserError(f"cannot load the migrations: {problem}") from exc
    for warning in caught:
        if "is not present" in str(warning.message):
            message = str(warning.message).splitlines()[0]
            raise UserError(f"cannot load the migrations: {message}")


def failing_revision(config: Config, exc: BaseException) -> str | None:
    """The revision whose file raised ``exc`` (deepest frame first), or ``None``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    by_path = {
        Path(revision.path).resolve(): revision.revision
        for revision in script.walk_revisions()
        if revision.path
    }
    frames: list[str] = []
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    for filename in reversed(frames):
        revision = by_path.get(Path(filename).resolve())
        if revision is not None:
            return revision
    return None
