"""Names: validating a project name and deriving an entity's class, module and table.

``fastmvc add entity OrderItem`` gives class ``OrderItem``, module
``order_item``, table ``order_items`` and URL prefix ``/order-items``.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from functools import cache

from fastmvc_cli.errors import UserError

__all__ = [
    "EntityNames",
    "entity_names",
    "pascal_case",
    "pluralize",
    "snake_case",
    "validate_project_name",
]

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

# A project name becomes a package next to these folders of the project itself.
_PROJECT_FOLDERS = frozenset({"migrations", "tests", "docker"})
# Framework names a project must not shadow.
_FRAMEWORK_MODULES = frozenset({"fastmvc", "fastmvc_cli"})
# Names the generated modules import; an entity class of the same name would clash.
_GENERATED_IMPORTS = frozenset(
    {
        "Any", "APIRouter", "BigInteger", "Boolean", "CRUDService", "Date", "DateTime",
        "Decimal", "DTO", "Entity", "Field", "Float", "ForeignKey", "Integer", "JSON",
        "Mapped", "Numeric", "OutDTO", "Repository", "SoftDeleteMixin", "String", "Text",
        "UUID", "Uuid", "Base", "Settings", "AnyJSON", "Decimal12_2", "FiniteFloat", "Int32",
        "Int64", "JSONDate", "JSONUUID", "StrictBool", "String255", "UTCDatetime", "Version",
    }
)  # fmt: skip


@cache
def _installed_top_level_names() -> frozenset[str]:
    """Top-level import names of every installed distribution."""
    from importlib.metadata import packages_distributions

    return frozenset(packages_distributions())


def validate_project_name(name: str) -> None:
    """Refuse a project name that cannot be a package of its own.

    Raises:
        UserError: The name is not a lowercase identifier, is a keyword, or
            shadows a standard-library or installed module.
    """
    if not name.isidentifier():
        raise UserError(f"project name {name!r} is not a valid Python identifier")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UserError(f"project name {name!r} is a Python keyword")
    if not _SNAKE.match(name):
        raise UserError(
            f"project name {name!r} must be lowercase snake_case (it names the package)"
        )
    if name in sys.stdlib_module_names:
        raise UserError(f"project name {name!r} shadows the standard-library module {name!r}")
    if name in _PROJECT_FOLDERS or name in _FRAMEWORK_MODULES:
        raise UserError(f"project name {name!r} is reserved; choose another name")
    if name in _installed_top_level_names():
        raise UserError(f"project name {name!r} shadows the installed module {name!r}")


def snake_case(name: str) -> str:
    """``OrderItem``, ``orderItem``, ``order-item`` → ``order_item``."""
    text = name.replace("-", "_")
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return text.lower()


def pascal_case(snake: str) -> str:
    """``order_item`` → ``OrderItem``."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def pluralize(snake: str) -> str:
    """English plural of the last word: ``category`` → ``categories``, ``box`` → ``boxes``."""
    if re.search(r"[^aeiou]y$", snake):
        return snake[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", snake):
        return snake + "es"
    return snake + "s"


@dataclass(frozen=True)
class EntityNames:
    """Every name derived from one entity name."""

    class_name: str
    module: str
    table: str
    prefix: str
    human: str

    @property
    def plural_human(self) -> str:
        """Plural words for messages: ``order items``."""
        return self.table.replace("_", " ")


def entity_names(raw: str) -> EntityNames:
    """Derive the names of an entity from what the user typed.

    Raises:
        UserError: The name cannot make a valid class, module and table.
    """
    module = snake_case(raw)
    if not _SNAKE.match(module) or not raw.replace("-", "_").isidentifier():
        raise UserError(f"entity name {raw!r} is not valid; use a name like Product or OrderItem")
    class_name = pascal_case(module)
    if keyword.iskeyword(module) or keyword.issoftkeyword(module):
        raise UserError(f"entity name {raw!r} is a Python keyword")
    if class_name in _GENERATED_IMPORTS:
        raise UserError(f"entity name {raw!r} clashes with a name the generated code imports")
    table = pluralize(module)
    return EntityNames(
        class_name=class_name,
        module=module,
        table=table,
        prefix="/" + table.replace("_", "-"),
        human=module.replace("_", " "),
    )
