"""What every server module implements: :class:`Server`, fed one :class:`ServeOptions`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["GRACEFUL_SHUTDOWN_SECONDS", "ServeOptions", "Server"]

# Docker's default stop timeout: within it the lifespan shutdown still runs
# before the container is killed. A request running longer is cut off.
GRACEFUL_SHUTDOWN_SECONDS = 10


@dataclass(frozen=True)
class ServeOptions:
    """How to serve one app; built once by ``fastmvc run`` from its flags.

    Attributes:
        app: Import string of the ASGI app, ``"package.module:attribute"``.
        app_dir: Folder the app is imported from (the project's root).
        host: Interface to bind.
        port: Port to listen on.
        reload: Restart the worker when a file under ``reload_dirs`` changes.
        reload_dirs: Folders watched by ``reload``.
        workers: Worker processes; ``None`` means one.
    """

    app: str
    app_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    reload: bool = False
    reload_dirs: tuple[Path, ...] = ()
    workers: int | None = None


class Server(Protocol):
    """An ASGI server that ``fastmvc run`` can hand an app to."""

    @property
    def name(self) -> str:
        """The name ``--server`` takes."""
        ...

    def ensure_installed(self) -> None:
        """Check that the server can be imported.

        Raises:
            UserError: It cannot; the message says what to install.
        """
        ...

    def serve(self, options: ServeOptions) -> None:
        """Serve until a signal stops the server."""
        ...
