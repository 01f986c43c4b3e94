"""Inserting lines into an existing Python module, located with :mod:`ast`.

``fastmvc add field`` extends modules that ``add entity`` wrote and the user
may have edited since: it finds a class, a function's ``return {…}`` or the
import block by parsing, inserts its lines there and leaves every other line
as it was. Edits are collected first and applied bottom-up, so line numbers
found by one parse stay valid for every edit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fastmvc_cli.errors import UserError
from fastmvc_cli.imports import Import, import_block

__all__ = ["ModuleEdit"]


@dataclass
class ModuleEdit:
    """Pending edits of one module's text."""

    path: Path
    first_party: tuple[str, ...]
    text: str = ""
    tree: ast.Module = field(init=False)
    _edits: list[tuple[int, int, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if not self.text:
            try:
                self.text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError as exc:
                raise UserError(f"{self.path} is missing; add the entity again first") from exc
        try:
            self.tree = ast.parse(self.text)
        except SyntaxError as exc:
            raise UserError(f"cannot parse {self.path}: {exc.msg} (line {exc.lineno})") from exc

    # -- finding --------------------------------------------------------------

    def class_node(self, name: str) -> ast.ClassDef:
        """The top-level class ``name``."""
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        raise UserError(f"{self.path} has no class {name}; add the field by hand")

    def function_node(self, name: str) -> ast.AsyncFunctionDef | ast.FunctionDef:
        """The top-level function ``name``."""
        for node in self.tree.body:
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == name:
                return node
        raise UserError(f"{self.path} has no function {name}; add the field by hand")

    def has_name(self, name: str) -> bool:
        """Whether the module assigns ``name`` at the top level."""
        return any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            for node in self.tree.body
        )

    @staticmethod
    def attributes(node: ast.ClassDef) -> list[str]:
        """The annotated attributes of a class body."""
        return [
            item.target.id
            for item in node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        ]

    # -- editing --------------------------------------------------------------

    def insert(self, line: int, text: str) -> None:
        """Insert ``text`` (whole lines) before 1-based ``line`` (``len + 1`` appends)."""
        self._edits.append((line, line, text))

    def append_to_class(
        self, name: str, lines: Iterable[str], *, before: str | None = None
    ) -> None:
        """Add lines to the end of a class body, or before its attribute ``before``."""
        node = self.class_node(name)
        body = "\n".join(lines)
        if not body:
            return
        if before is not None:
            for item in node.body:
                if (
                    isinstance(item, ast.AnnAssign)
                    and isinstance(item.target, ast.Name)
                    and item.target.id == before
                ):
                    self.insert(item.lineno, body + "\n")
                    return
        last = node.body[-1]
        assert last.end_lineno is not None
        only_docstring = isinstance(last, ast.Expr) and len(node.body) == 1
        self.insert(last.end_lineno + 1, ("\n" if only_docstring else "") + body + "\n")

    def append_module(self, text: str) -> None:
        """Add top-level statements at the end, two blank lines after the last one."""
        if text:
            self.insert(len(self.text.splitlines()) + 1, "\n\n" + text + "\n")

    def insert_before(self, node: ast.stmt, text: str) -> None:
        """Put top-level statements before ``node``, with two blank lines between."""
        self.insert(node.lineno, text + "\n\n\n")

    def merge_imports(self, needed: Iterable[Import]) -> None:
        """Rewrite the top import block as the union of its imports and ``needed``."""
        nodes = self._top_imports()
        pairs = set(self._pairs(nodes)) | set(needed)
        block = import_block(sorted(pairs), first_party=self.first_party)
        if not nodes:
            raise UserError(f"{self.path} imports nothing; add the field by hand")
        first, last = nodes[0], nodes[-1]
        assert last.end_lineno is not None
        self._edits.append((first.lineno, last.end_lineno + 1, block + "\n"))

    def merge_type_checking(self, needed: Iterable[Import]) -> None:
        """Add imports under ``if TYPE_CHECKING:``, making the block when there is none."""
        wanted = set(needed)
        if not wanted:
            return
        block = next(
            (
                node
                for node in self.tree.body
                if isinstance(node, ast.If)
                and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"
            ),
            None,
        )
        if block is None:
            lines = import_block(sorted(wanted), first_party=self.first_party).splitlines()
            text = "\nif TYPE_CHECKING:\n" + "\n".join("    " + line for line in lines) + "\n"
            last = self._top_imports()[-1]
            assert last.end_lineno is not None
            self.insert(last.end_lineno + 1, text)
            return
        imports = [n for n in block.body if isinstance(n, ast.ImportFrom | ast.Import)]
        pairs = set(self._pairs(imports)) | wanted
        lines = import_block(sorted(pairs), first_party=self.first_party).splitlines()
        end = block.body[-1].end_lineno
        assert end is not None
        self._edits.append(
            (block.body[0].lineno, end + 1, "\n".join("    " + line for line in lines) + "\n")
        )

    def _top_imports(self) -> list[ast.Import | ast.ImportFrom]:
        """The first run of top-level imports (after the docstring)."""
        nodes: list[ast.Import | ast.ImportFrom] = []
        for node in self.tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                nodes.append(node)
            elif nodes:
                break
        return nodes

    def _pairs(self, nodes: Iterable[ast.stmt]) -> list[Import]:
        pairs: list[Import] = []
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                if node.level or any(alias.asname for alias in node.names):
                    raise UserError(f"{self.path}: cannot merge imports with aliases; edit by hand")
                pairs += [(node.module or "", alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    name = f"{alias.name} as {alias.asname}" if alias.asname else alias.name
                    pairs.append((name, ""))
        return pairs

    def result(self) -> str:
        """The edited text."""
        lines = self.text.splitlines(keepends=True)
        # Bottom-up; of two edits at one line, the later one lands after the earlier.
        ordered = sorted(enumerate(self._edits), key=lambda item: (item[1][0], item[0]))
        for _, (start, end, text) in reversed(ordered):
            lines[start - 1 : end - 1] = [text]
        return "".join(lines)
