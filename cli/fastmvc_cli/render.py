"""Rendering template trees into a plan of files, and writing a plan.

A template tree is a folder of real files. A file ending in ``.jinja`` is
rendered with Jinja2 (strict: an unknown variable is an error) and loses the
suffix; any other file is copied byte for byte. Path segments may hold Jinja
expressions too (``{{ package }}/main.py.jinja``).

Commands first build the whole plan (path → bytes) and check it, then write
it, so a refused command leaves nothing half-written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

__all__ = [
    "PRIVATE_FILE_NAMES",
    "Plan",
    "render_partial",
    "render_string",
    "render_tree",
    "write_plan",
]

PRIVATE_FILE_NAMES = frozenset({".env"})
"""Files that hold secrets: written readable by their owner only (mode 0600)."""

Plan = dict[PurePosixPath, bytes]
"""Files to write: a path relative to the destination, and its content."""

_SKIPPED = frozenset({"__pycache__", ".DS_Store"})


def _environment(root: Path) -> jinja2.Environment:
    # The output is Python, TOML and YAML, never HTML: escaping would corrupt it.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701
    )


def render_string(text: str, context: Mapping[str, Any]) -> str:
    """Render one template string strictly (used for path segments)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    return env.from_string(text).render(context)


def render_partial(path: Path, context: Mapping[str, Any]) -> str:
    """Render one template file that is a piece of a module, without its edge blank lines."""
    env = _environment(path.parent)
    return env.get_template(path.name).render(context).strip("\n")


def render_tree(root: Path, context: Mapping[str, Any], *, prefix: str = "") -> Plan:
    """Render every file under ``root`` into a plan.

    Args:
        root: The template folder.
        context: Template variables.
        prefix: A relative folder to put every rendered path under.

    Returns:
        The plan, in sorted path order.
    """
    env = _environment(root)
    plan: Plan = {}
    for source in sorted(root.rglob("*")):
        relative = source.relative_to(root)
        if source.is_dir() or _SKIPPED.intersection(relative.parts) or source.suffix == ".pyc":
            continue
        target = PurePosixPath(prefix, *(render_string(part, context) for part in relative.parts))
        if source.suffix == ".jinja":
            template = env.get_template(relative.as_posix())
            plan[target.with_suffix("")] = template.render(context).encode()
        else:
            plan[target] = source.read_bytes()
    return plan


def write_plan(destination: Path, plan: Mapping[PurePosixPath, bytes]) -> list[Path]:
    """Write every file of a plan under ``destination``.

    Returns:
        The paths written, in plan order.
    """
    written = []
    for relative, content in plan.items():
        path = destination.joinpath(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        if relative.name in PRIVATE_FILE_NAMES:
            _write_private(path, content)
        else:
            path.write_bytes(content)
        written.append(path)
    return written


def _write_private(path: Path, content: bytes) -> None:
    # Created with 0600 from the start (no window at 0644), and tightened if
    # it already existed (`--force`).
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(content)
