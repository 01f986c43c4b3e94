"""Where the CLI's templates live, in a wheel and in an editable checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "entity_templates",
    "field_templates",
    "migrations_template",
    "partial_template",
    "project_templates",
]

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_templates() -> Path:
    """The project template tree (``templates/project``)."""
    return _PACKAGE_DIR / "templates" / "project"


def entity_templates() -> Path:
    """The entity template tree (``templates/entity``)."""
    return _PACKAGE_DIR / "templates" / "entity"


def field_templates() -> Path:
    """The template tree of ``add field`` (its migration)."""
    return _PACKAGE_DIR / "templates" / "field"


def partial_template(name: str) -> Path:
    """A template of a piece of a module (``templates/partials``)."""
    return _PACKAGE_DIR / "templates" / "partials" / name


def migrations_template() -> Path:
    """The Alembic template of generated projects.

    The wheel force-includes the repository's ``migrations_template/`` as
    ``fastmvc_cli/migrations_template``; an editable install finds it at the
    top of the source checkout, two levels above this package (``cli/fastmvc_cli``).

    Raises:
        FileNotFoundError: Neither place has it: the installation is broken.
    """
    for candidate in (
        _PACKAGE_DIR / "migrations_template",
        _PACKAGE_DIR.parents[1] / "migrations_template",
    ):
        if (candidate / "migrations" / "env.py.jinja").is_file():
            return candidate
    raise FileNotFoundError("fastmvc_cli is installed without its migrations_template")
