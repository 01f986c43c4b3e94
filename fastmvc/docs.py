"""Swagger UI and ReDoc served from the app itself, so the docs work with no network.

FastAPI's default docs pages load their JavaScript, CSS, fonts and favicon from
public CDNs; on a machine without internet they stay blank. The assets here
come from the ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2 bundles
with their licences, kept current by its maintainer), served under
``/docs/assets`` with a long cache lifetime. The HTML pages are FastAPI's own
``get_swagger_ui_html`` and ``get_redoc_html`` pointed at those files, so the
hash-pinned CSP of :mod:`fastmvc.middleware.security_headers` still applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

__all__ = ["DOCS_ASSET_FILES", "DocsPaths", "assets_directory", "install_docs"]

ASSETS_CACHE_CONTROL = "public, max-age=604800"
DOCS_ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


@dataclass(frozen=True, slots=True)
class DocsPaths:
    """Where the docs live; ``None`` leaves a page out."""

    docs: str | None = "/docs"
    redoc: str | None = "/redoc"
    assets: str = "/docs/assets"

    @property
    def oauth2_redirect(self) -> str | None:
        """Swagger UI's OAuth2 redirect page, beside ``/docs``."""
        return f"{self.docs}/oauth2-redirect" if self.docs else None

    @property
    def pages(self) -> list[str]:
        """The HTML pages that get the docs CSP."""
        return [path for path in (self.docs, self.oauth2_redirect, self.redoc) if path]


def assets_directory() -> Path:
    """The directory holding ``swagger-ui-bundle.js``, ``swagger-ui.css``,
    ``redoc.standalone.js`` and ``favicon.png``."""
    return Path(str(files("fastapi_offline") / "static"))


# ReDoc 2 draws its attribution logo from its vendor's CDN, unconditionally:
# offline the request fails, and under the docs CSP it is a violation. The
# bundle is served with that one URL pointing at an empty inline image instead.
_REDOC_BUNDLE = "redoc.standalone.js"
_REDOC_LOGO_URL = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_IMAGE = b"data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    return (assets_directory() / _REDOC_BUNDLE).read_bytes().replace(_REDOC_LOGO_URL, _EMPTY_IMAGE)


async def _redoc_bundle_response(_request: Request) -> Response:
    return Response(
        _redoc_bundle(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": ASSETS_CACHE_CONTROL},
    )


class _AssetFiles(StaticFiles):
    """Static files with a cache lifetime: the bundles change only with the package."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = ASSETS_CACHE_CONTROL
        return response


def _add_page(app: FastAPI, path: str, endpoint: Callable[..., Awaitable[Response]]) -> None:
    # An API route (left out of the schema) rather than a plain one: FastAPI
    # records it in the request scope, where the metrics read the template.
    app.add_api_route(
        path, endpoint, methods=["GET"], include_in_schema=False, response_class=HTMLResponse
    )


def install_docs(app: FastAPI, paths: DocsPaths | None = None) -> DocsPaths:
    """Serve Swagger UI and ReDoc, and their assets, from ``app``.

    Build the app with ``docs_url=None, redoc_url=None`` so FastAPI does not add
    its CDN pages, then call this. The app's ``docs_url`` and ``redoc_url``
    are set to the served paths, so other code (the security headers, the
    rate limiter) can find them.

    Args:
        app: The application; its ``openapi_url`` must be set.
        paths: Where to serve the pages (``/docs``, ``/redoc``, ``/docs/assets``).

    Returns:
        The paths used.
    """
    paths = paths or DocsPaths()
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("the docs pages need the OpenAPI document (openapi_url is None)")
    assets = paths.assets
    # Before the mount, which would otherwise serve the unpatched file.
    app.add_api_route(
        f"{assets}/{_REDOC_BUNDLE}",
        _redoc_bundle_response,
        methods=["GET"],
        include_in_schema=False,
    )
    app.mount(assets, _AssetFiles(directory=assets_directory()), name="docs_assets")
    app.state.fastmvc_docs_assets = assets

    if paths.docs:
        redirect_url = paths.oauth2_redirect

        async def swagger_ui(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "")
            return get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=f"{root}{redirect_url}",
                swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{assets}/swagger-ui.css",
                swagger_favicon_url=f"{root}{assets}/favicon.png",
                swagger_ui_parameters=app.swagger_ui_parameters,
            )

        async def swagger_ui_redirect(_request: Request) -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

        _add_page(app, paths.docs, swagger_ui)
        _add_page(app, str(redirect_url), swagger_ui_redirect)
        app.docs_url = paths.docs
        app.swagger_ui_oauth2_redirect_url = redirect_url

    if paths.redoc:

        async def redoc(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "")
            return get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{assets}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{assets}/favicon.png",
                with_google_fonts=False,
            )

        _add_page(app, paths.redoc, redoc)
        app.redoc_url = paths.redoc
    return paths
