"""The ASGI servers ``fastmvc run`` serves an app with, one small module each.

Every server takes the same :class:`ServeOptions` and is set up to behave the
same way, so that a project can switch with ``--server`` and see no
difference but speed:

- the app's lifespan runs at start and at stop, and a failed start-up stops
  the server;
- the client address is the TCP peer. The server believes no proxy header
  (``X-Forwarded-For``, ``X-Forwarded-Proto``); FastMVC's ``TRUSTED_PROXIES``
  alone decides whom to believe;
- on SIGTERM or SIGINT the server stops accepting, lets the requests it has
  accepted finish (for up to :data:`GRACEFUL_SHUTDOWN_SECONDS`), then runs the
  lifespan's shutdown;
- the server writes no access log: FastMVC's middleware writes one line per
  request, and the body limit is FastMVC's ``MAX_BODY_BYTES`` on both.

Shared state that workers must see (a metrics directory, say) belongs in the
environment before :meth:`Server.serve` is called: both servers start their
workers after that call and the workers inherit it.
"""

from __future__ import annotations

from enum import StrEnum

from fastmvc_cli.servers.base import GRACEFUL_SHUTDOWN_SECONDS, ServeOptions, Server
from fastmvc_cli.servers.granian_server import GranianServer
from fastmvc_cli.servers.uvicorn_server import UvicornServer

__all__ = [
    "DEFAULT_SERVER",
    "GRACEFUL_SHUTDOWN_SECONDS",
    "ServeOptions",
    "Server",
    "ServerName",
    "get_server",
]


class ServerName(StrEnum):
    """The servers ``fastmvc run --server`` accepts."""

    UVICORN = "uvicorn"
    GRANIAN = "granian"


DEFAULT_SERVER = ServerName.UVICORN

_SERVERS: dict[ServerName, Server] = {
    ServerName.UVICORN: UvicornServer(),
    ServerName.GRANIAN: GranianServer(),
}


def get_server(name: ServerName) -> Server:
    """The server called ``name``."""
    return _SERVERS[name]
