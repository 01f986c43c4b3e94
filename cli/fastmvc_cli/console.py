"""Rich output of the commands: file trees, next steps and progress.

Errors never go through here: ``main()`` writes them to stderr as one plain
line, so Rich can never wrap them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

__all__ = ["console", "show_files", "show_next_steps"]

console = Console(highlight=False)


def show_files(title: str, root: Path, paths: Iterable[Path]) -> None:
    """Print the files written under ``root`` as a tree."""
    tree = Tree(f"[bold]{title}[/bold]")
    branches: dict[tuple[str, ...], Tree] = {(): tree}
    for path in sorted(paths):
        parts = path.relative_to(root).parts
        for depth in range(1, len(parts)):
            key = parts[:depth]
            if key not in branches:
                branches[key] = branches[key[:-1]].add(f"[blue]{escape(parts[depth - 1])}/[/blue]")
        branches[parts[:-1]].add(escape(parts[-1]))
    console.print(tree)


def show_next_steps(steps: Sequence[str]) -> None:
    """Print numbered shell commands to run next."""
    console.print("\n[bold]Next steps[/bold]")
    for number, step in enumerate(steps, start=1):
        console.print(f"  {number}. [cyan]{escape(step)}[/cyan]")
