"""``fastmvc run``: serve the project's app with uvicorn or Granian."""

from __future__ import annotations

import importlib.util
import os
import socket
from typing import Annotated

import typer

from fastmvc_cli.console import console
from fastmvc_cli.errors import UserError
from fastmvc_cli.metrics_dir import multiprocess_metrics_dir
from fastmvc_cli.preflight import check_settings
from fastmvc_cli.project import find_project
from fastmvc_cli.servers import DEFAULT_SERVER, ServeOptions, ServerName, get_server

__all__ = ["app"]

app = typer.Typer()

_EPILOG = """\
Examples:

  fastmvc run

  fastmvc run --host 0.0.0.0 --port 8000 --no-reload --workers 4

  fastmvc run --server granian --no-reload --workers 2
"""


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


@app.command("run", epilog=_EPILOG)
def run(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    reload: Annotated[
        bool, typer.Option("--reload/--no-reload", help="Restart when the code changes.")
    ] = True,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (needs --no-reload).")
    ] = None,
    server: Annotated[
        ServerName,
        typer.Option(help="ASGI server; granian needs the granian extra."),
    ] = DEFAULT_SERVER,
) -> None:
    """Serve the app named by `\\[tool.fastmvc] app` in the project's pyproject.toml."""
    project = find_project()
    if reload and workers and workers > 1:
        raise UserError("--workers needs --no-reload (the reloader runs one worker)")
    chosen = get_server(server)
    chosen.ensure_installed()
    _check_port_free(host, port)
    project.activate()
    os.chdir(project.root)
    module = project.app.split(":", 1)[0]
    if importlib.util.find_spec(module) is None:
        raise UserError(
            f"cannot find module {module!r} named by [tool.fastmvc] app in pyproject.toml"
        )
    check_settings()
    options = ServeOptions(
        app=project.app,
        app_dir=project.root,
        host=host,
        port=port,
        reload=reload,
        reload_dirs=(project.package_dir,) if reload else (),
        workers=workers,
    )
    console.print(
        f"Serving [bold]{project.app}[/bold] with {chosen.name} on http://{host}:{port} "
        "(docs at /docs)"
    )
    with multiprocess_metrics_dir(workers):
        chosen.serve(options)
