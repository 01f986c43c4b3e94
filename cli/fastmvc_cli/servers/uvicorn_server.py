"""Serving with uvicorn."""

from __future__ import annotations

from fastmvc_cli.errors import UserError
from fastmvc_cli.servers.base import GRACEFUL_SHUTDOWN_SECONDS, ServeOptions

__all__ = ["UvicornServer"]


class UvicornServer:
    """uvicorn (a FastMVC dependency), set up as :mod:`fastmvc_cli.servers` describes."""

    name = "uvicorn"

    def ensure_installed(self) -> None:
        try:
            import uvicorn  # noqa: F401
        except ImportError as exc:
            raise UserError("uvicorn is not installed: pip install pyfastmvc") from exc

    def serve(self, options: ServeOptions) -> None:
        import uvicorn

        uvicorn.run(
            options.app,
            host=options.host,
            port=options.port,
            reload=options.reload,
            reload_dirs=[str(d) for d in options.reload_dirs] if options.reload else None,
            workers=options.workers,
            app_dir=str(options.app_dir),
            # "auto" would carry on without a lifespan that failed to start.
            lifespan="on",
            # FastMVC's client_ip() alone judges X-Forwarded-For (TRUSTED_PROXIES);
            # uvicorn's default would believe it from 127.0.0.1 and let any local
            # caller choose its address, defeating every per-IP limit.
            proxy_headers=False,
            server_header=False,
            # FastMVC's middleware writes one structured access line per request.
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
