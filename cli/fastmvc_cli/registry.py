"""Registering an entity in the project's two registries, by editing their source.

``routers.py`` holds the list of routers the app serves and
``models/__init__.py`` imports every model for Alembic. Each edit parses the
file with :mod:`ast`, changes only the import and the list it needs, and keeps
everything else (comments, hand-written lines) as it was. An edit that cannot
be made safely raises :class:`UserError` before anything is written.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from fastmvc_cli.errors import UserError
from fastmvc_cli.imports import LINE_LENGTH, from_import
from fastmvc_cli.naming import EntityNames

__all__ = ["register_model", "register_router"]


def _parse(path: Path) -> tuple[ast.Module, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserError(f"{path} is missing; is this a FastMVC project?") from exc
    try:
        return ast.parse(text), text.splitlines(keepends=True)
    except SyntaxError as exc:
        raise UserError(f"cannot parse {path}: {exc.msg} (line {exc.lineno})") from exc


def _replace(lines: list[str], node: ast.stmt, text: str) -> None:
    assert node.end_lineno is not None
    lines[node.lineno - 1 : node.end_lineno] = [text + "\n"]


def _list_literal(names: Sequence[str], head: str) -> str:
    one_line = f"{head}[{', '.join(names)}]"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    return head + "[\n" + "".join(f"    {name},\n" for name in names) + "]"


def _assignment(tree: ast.Module, name: str) -> ast.Assign | ast.AnnAssign | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            return node
    return None


def _from_imports(tree: ast.Module, module: str) -> list[ast.ImportFrom]:
    return [
        n
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.module == module and n.level == 0
    ]


def register_router(path: Path, package: str, names: EntityNames) -> str:
    """Return ``routers.py`` with ``<module>.router`` imported and listed.

    Raises:
        UserError: The file has no ``routers = [...]`` list to extend.
    """
    tree, lines = _parse(path)
    target = _assignment(tree, "routers")
    if target is None or not isinstance(target.value, ast.List):
        raise UserError(f"{path} has no `routers = [...]` list; register {names.prefix} by hand")
    entry = f"{names.module}.router"
    listed = {ast.unparse(element) for element in target.value.elts}
    module = f"{package}.controllers"
    imports = _from_imports(tree, module)
    imported = {alias.name for node in imports for alias in node.names}
    # Edit bottom-up so earlier line numbers stay valid.
    if entry not in listed:
        closing = target.value.end_lineno
        assert closing is not None
        if lines[closing - 1].strip() == "]":
            lines.insert(closing - 1, f"    {entry},\n")
        else:
            elements = [ast.unparse(e) for e in target.value.elts] + [entry]
            head = lines[target.lineno - 1].split("[", 1)[0]
            _replace(lines, target, _list_literal(elements, head))
    if names.module not in imported:
        statement = from_import(module, imported | {names.module})
        if imports:
            _replace(lines, imports[0], statement)
        else:
            _insert_first_party_import(tree, lines, package, module, statement, path)
    return "".join(lines)


def _insert_first_party_import(
    tree: ast.Module, lines: list[str], package: str, module: str, statement: str, path: Path
) -> None:
    """Put a new ``from package.x import …`` in sorted place among the project's imports."""
    ours = [
        n
        for n in tree.body
        if isinstance(n, ast.ImportFrom)
        and n.level == 0
        and (n.module or "").split(".")[0] == package
    ]
    after = [n for n in ours if (n.module or "") > module]
    if after:
        lines.insert(after[0].lineno - 1, statement + "\n")
    elif ours:
        end = ours[-1].end_lineno
        assert end is not None
        lines.insert(end, statement + "\n")
    else:
        raise UserError(f"{path} imports nothing from {package}; register the router by hand")


def register_model(path: Path, package: str, names: EntityNames) -> str:
    """Return ``models/__init__.py`` importing and exporting the new model.

    Raises:
        UserError: The file's model imports are not one contiguous block.
    """
    tree, lines = _parse(path)
    prefix = f"{package}.models."
    imports = [
        n for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.level == 0 and (n.module or "").startswith(prefix)
    ]  # fmt: skip
    pairs = {(n.module or "", alias.name) for n in imports for alias in n.names}
    pairs.add((prefix + names.module, names.class_name))
    exported = _assignment(tree, "__all__")
    # Edit bottom-up so earlier line numbers stay valid.
    if exported is not None and isinstance(exported.value, ast.List | ast.Tuple):
        values = {ast.literal_eval(e) for e in exported.value.elts} | {names.class_name}
        quoted = [f'"{value}"' for value in sorted(values)]
        _replace(lines, exported, _list_literal(quoted, "__all__ = "))
    by_module: dict[str, set[str]] = {}
    for module, name in pairs:
        by_module.setdefault(module, set()).add(name)
    block = "\n".join(from_import(m, by_module[m]) for m in sorted(by_module))
    if not imports:
        raise UserError(f"{path} imports no model; add {names.class_name} by hand")
    first, last = imports[0], imports[-1]
    assert last.end_lineno is not None
    between = [
        n for n in tree.body if first.lineno <= n.lineno <= last.end_lineno and n not in imports
    ]
    if between:
        raise UserError(f"{path}: model imports are not one block; add {names.class_name} by hand")
    lines[first.lineno - 1 : last.end_lineno] = [block + "\n"]
    return "".join(lines)
