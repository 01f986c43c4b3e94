"""Serving with Granian (the ``granian`` extra), a Rust HTTP server with an ASGI interface."""

from __future__ import annotations

import importlib
import signal
from collections.abc import Callable
from typing import Any

from fastmvc_cli.errors import UserError
from fastmvc_cli.servers.base import GRACEFUL_SHUTDOWN_SECONDS, ServeOptions

__all__ = ["GranianServer", "load_app"]

_MISSING = "Granian is not installed: pip install 'pyfastmvc[granian]'"


def load_app(target: str) -> Callable[..., Any]:
    """Import the app in a freshly started Granian worker.

    Granian forks its workers from the main process, so a worker starts with
    the main process's SIGTERM and SIGINT handlers. A signal that arrives
    while the worker is still importing the app would run that handler in the
    worker, change nothing, and be lost: the worker would then serve on and
    the main process wait for it forever. With the default handlers back, a
    worker stopped before it serves just ends; Granian installs its own
    handlers once the app is loaded.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    module, _, attribute = target.partition(":")
    app: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return app


class GranianServer:
    """Granian's ASGI interface, set up as :mod:`fastmvc_cli.servers` describes.

    Granian believes no proxy header unless the app is wrapped for it, which
    this never does. Its access log stays off. The lifespan runs in every
    worker, and a failed start-up ends the server. A worker that has not
    stopped :data:`GRACEFUL_SHUTDOWN_SECONDS` after the signal is killed.
    """

    name = "granian"

    def ensure_installed(self) -> None:
        try:
            import granian  # noqa: F401
        except ImportError as exc:
            raise UserError(_MISSING) from exc

    def serve(self, options: ServeOptions) -> None:
        from granian.constants import Interfaces
        from granian.server import Server

        server = Server(
            options.app,
            address=options.host,
            port=options.port,
            interface=Interfaces.ASGI,
            workers=options.workers or 1,
            working_dir=options.app_dir,
            reload=options.reload,
            reload_paths=list(options.reload_dirs) or None,
            log_access=False,
            workers_kill_timeout=GRACEFUL_SHUTDOWN_SECONDS,
        )
        server.serve(target_loader=load_app)
