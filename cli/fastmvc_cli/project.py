"""Finding the generated project the user is standing in.

A FastMVC project is a folder whose ``pyproject.toml`` has a ``[tool.fastmvc]``
table naming the app (``app = "shop.main:app"``). Commands look for it in the
current folder and its parents, as git does.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fastmvc_cli.errors import UserError

__all__ = ["Project", "find_project"]


@dataclass(frozen=True)
class Project:
    """A generated project on disk."""

    root: Path
    app: str

    @property
    def package(self) -> str:
        """The project's package: the first segment of the app's import path."""
        return self.app.split(":", 1)[0].split(".", 1)[0]

    @property
    def package_dir(self) -> Path:
        """The folder of the project's package."""
        return self.root / self.package

    @property
    def migrations_dir(self) -> Path:
        """The Alembic script folder."""
        return self.root / "migrations"

    def activate(self) -> None:
        """Make the project importable, as running from its root would."""
        root = str(self.root)
        if root not in sys.path:
            sys.path.insert(0, root)


def _read_app(pyproject: Path) -> str | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"cannot read {pyproject}: {exc}") from exc
    table = data.get("tool", {}).get("fastmvc")
    if not isinstance(table, dict):
        return None
    app = table.get("app")
    if not isinstance(app, str) or ":" not in app:
        raise UserError(f'{pyproject}: [tool.fastmvc] app must look like "package.module:app"')
    return app


def find_project(start: Path | None = None) -> Project:
    """Find the project holding ``start`` (default: the current folder).

    Raises:
        UserError: No folder up the tree has a pyproject with ``[tool.fastmvc]``.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            app = _read_app(pyproject)
            if app is not None:
                return Project(root=folder, app=app)
    raise UserError(
        "not inside a FastMVC project (no pyproject.toml with [tool.fastmvc]); "
        "run `fastmvc new NAME` first or cd into a project"
    )
