"""One module per command group, each exposing a Typer ``app`` that main.py mounts."""
