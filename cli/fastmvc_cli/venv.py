"""``fastmvc new --venv/--install``: a virtual environment for the new project."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from fastmvc_cli.console import console
from fastmvc_cli.errors import UserError

__all__ = ["create_venv", "install_project", "venv_python"]


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    if sys.platform == "win32":  # pragma: no cover
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _run(step: str, command: list[str]) -> None:
    with console.status(f"[bold]{step}…[/bold]"):
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise UserError(f"{step} failed: {last[0]}")
    console.print(f"[green]✓[/green] {step}")


def create_venv(venv: Path) -> None:
    """Create ``venv`` with the interpreter running the CLI, unless it exists."""
    if venv_python(venv).exists():
        console.print(f"[green]✓[/green] {venv} already exists")
        return
    _run(f"Creating {venv.name}", [sys.executable, "-m", "venv", str(venv)])


def _local_fastmvc() -> str | None:
    """A pip requirement for the FastMVC this CLI runs from, when it came from disk.

    A checkout or a locally built wheel is not on the package index, so the new
    project's environment installs that same source instead.
    """
    try:
        text = distribution("pyfastmvc").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    if not text:
        return None
    url = json.loads(text).get("url", "")
    return f"pyfastmvc @ {url}" if url.startswith("file://") else None


def install_project(project: Path, venv: Path) -> None:
    """Install the project and its dev extras into ``venv`` (editable)."""
    command = [str(venv_python(venv)), "-m", "pip", "install", "--quiet"]
    local = _local_fastmvc()
    if local:
        command.append(local)
    command += ["-e", f"{project}[dev]"]
    _run("Installing dependencies", command)
