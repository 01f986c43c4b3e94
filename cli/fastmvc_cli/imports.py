"""Import blocks written the way ruff's isort check wants them.

Generated modules import only what their fields use, so the block is built in
code: sections (standard library, third party, the project), plain imports
(``import sqlalchemy as sa``) before ``from`` imports, each sorted by module,
names ordered constants, classes, then functions, and lines wrapped one name
per line when they pass the line length.

An import is a pair ``(module, name)``; a plain import has an empty name and
may carry its alias in the module (``("sqlalchemy as sa", "")``).
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable

__all__ = ["LINE_LENGTH", "Import", "from_import", "import_block", "name_order"]

LINE_LENGTH = 100

Import = tuple[str, str]
"""``(module, name)``, or ``("module as alias", "")`` for a plain import."""


def name_order(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def from_import(module: str, names: Iterable[str], *, indent: str = "") -> str:
    """One ``from module import …`` statement, wrapped when it is too long."""
    ordered = sorted(set(names), key=name_order)
    line = f"{indent}from {module} import {', '.join(ordered)}"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(f"{indent}    {name},\n" for name in ordered)
    return f"{indent}from {module} import (\n{body}{indent})"


def _section(module: str, first_party: Collection[str]) -> int:
    top = module.split(" ", 1)[0].split(".", 1)[0]
    if top in first_party:
        return 2
    if top in sys.stdlib_module_names or top == "__future__":
        return 0
    return 1


def import_block(imports: Iterable[tuple[str, str]], *, first_party: Collection[str]) -> str:
    """Render ``(module, name)`` pairs as sorted sections of ``from`` imports.

    Args:
        imports: Pairs such as ``("sqlalchemy", "String")``; duplicates are fine.
            An empty name (``("pytest", "")``) gives ``import pytest``.
        first_party: Top-level names of the project (its package, ``tests``),
            whose imports come last.
    """
    by_module: dict[str, set[str]] = {}
    plain: set[str] = set()
    for module, name in imports:
        if name:
            by_module.setdefault(module, set()).add(name)
        else:
            plain.add(module)
    sections: list[list[str]] = [[], [], []]
    # Within a section, `import x` lines come before `from x import y` (isort's default).
    for module in sorted(plain, key=lambda text: text.split(" ")[0]):
        sections[_section(module, first_party)].append(f"import {module}")
    for module in sorted(by_module):
        sections[_section(module, first_party)].append(from_import(module, by_module[module]))
    return "\n\n".join("\n".join(lines) for lines in sections if lines)
