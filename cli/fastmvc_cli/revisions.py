"""Reading the Alembic revision graph from the version files, with no database.

``fastmvc add entity`` chains its migration after the current head. It reads
each file's ``revision`` and ``down_revision`` assignments with :mod:`ast`
(importing them would run user code and need Alembic).
"""

from __future__ import annotations

import ast
from pathlib import Path
from uuid import uuid4

from fastmvc_cli.errors import UserError

__all__ = ["current_head", "new_revision_id", "read_revisions"]


def _literal(node: ast.expr, path: Path) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise UserError(f"{path.name}: revision ids must be literal strings") from exc


def _revision_of(path: Path) -> tuple[str, tuple[str, ...]] | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise UserError(f"cannot parse migration {path}: {exc.msg} (line {exc.lineno})") from exc
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            values[node.target.id] = _literal(node.value, path)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                values[target.id] = _literal(node.value, path)
    revision = values.get("revision")
    if not isinstance(revision, str):
        return None
    down = values.get("down_revision")
    if down is None:
        parents: tuple[str, ...] = ()
    elif isinstance(down, str):
        parents = (down,)
    elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        parents = tuple(str(d) for d in down)
    else:
        raise UserError(f"{path.name}: down_revision must be a string, a tuple or None")
    return revision, parents


def read_revisions(versions_dir: Path) -> dict[str, tuple[str, ...]]:
    """Map every revision id found under ``versions_dir`` to its parents."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions_dir.glob("*.py")):
        found = _revision_of(path)
        if found is not None:
            graph[found[0]] = found[1]
    return graph


def current_head(versions_dir: Path) -> str | None:
    """The single head revision, or ``None`` when there is no migration yet.

    Raises:
        UserError: The graph has several heads (merge them first).
    """
    graph = read_revisions(versions_dir)
    parents = {parent for ups in graph.values() for parent in ups}
    heads = sorted(set(graph) - parents)
    if len(heads) > 1:
        raise UserError(
            f"migrations have {len(heads)} heads ({', '.join(heads)}); "
            "merge them with `alembic merge` first"
        )
    return heads[0] if heads else None


def new_revision_id() -> str:
    """A fresh revision id: 12 hex digits, as Alembic makes them."""
    return uuid4().hex[-12:]
