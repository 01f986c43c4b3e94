"""Security headers on every response, with a docs-page CSP that lets Swagger UI and ReDoc run."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "API_CSP",
    "DEFAULT_PERMISSIONS_POLICY",
    "SecurityHeadersMiddleware",
    "docs_csp",
]

Header = tuple[bytes, bytes]

API_CSP = "default-src 'none'; frame-ancestors 'none'"
"""The policy of every non-docs response: load nothing, be framed by nobody."""

DEFAULT_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL | re.IGNORECASE)

_CSP_KEY = b"content-security-policy"
_CACHE_CONTROL_KEY = b"cache-control"
_CONTENT_TYPE_KEY = b"content-type"


def docs_csp(inline_script_hashes: Iterable[str] = ()) -> str:
    """Return the policy for the Swagger UI and ReDoc pages.

    Both pages load their bundle, stylesheet and favicon from this origin
    (:mod:`fastmvc.docs` serves them), so no third-party origin is allowed.
    Swagger UI starts itself with an inline script, allowed by its SHA-256
    hash rather than ``'unsafe-inline'``; it draws its icons as ``data:``
    images. ReDoc injects ``<style>`` elements at run time (hence
    ``'unsafe-inline'`` for styles only) and runs its search in a ``blob:``
    worker. Both fetch the OpenAPI document from this origin.

    Args:
        inline_script_hashes: Base64 SHA-256 digests of the page's inline scripts.
    """
    hashes = "".join(f" 'sha256-{digest}'" for digest in inline_script_hashes)
    return (
        "default-src 'none'; "
        f"script-src 'self'{hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        "frame-ancestors 'none'; "
        "base-uri 'none'; "
        "form-action 'self'"
    )


def _inline_script_hashes(html: bytes) -> list[str]:
    return [
        base64.b64encode(hashlib.sha256(script).digest()).decode("ascii")
        for script in _INLINE_SCRIPT.findall(html)
    ]


def _encode(pairs: Iterable[tuple[str, str]]) -> tuple[Header, ...]:
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs)


class SecurityHeadersMiddleware:
    """Add the security headers of ARCHITECTURE.md to every HTTP response.

    Every response gets ``X-Content-Type-Options``, ``X-Frame-Options``,
    ``Referrer-Policy``, ``Permissions-Policy`` and
    ``Cross-Origin-Opener-Policy``, plus ``Strict-Transport-Security`` when the
    request came over HTTPS or ``hsts`` is set, and ``Cache-Control: no-store``
    (docs pages included). Responses other than the docs pages get the strict
    :data:`API_CSP` (JSON, and also files or text: a strict policy there stops
    stored XSS through served content). A ``Cache-Control`` or
    ``Content-Security-Policy`` the app set itself is kept.

    The HTML of ``docs_paths`` gets :func:`docs_csp` with the hashes of its
    inline scripts; only those small pages are buffered to hash them.

    Args:
        app: The ASGI app to wrap.
        hsts: Send HSTS on plain-HTTP requests too (TLS ends at a proxy).
        hsts_max_age: HSTS ``max-age`` in seconds.
        docs_paths: Paths of the HTML docs pages (``/docs``, ``/redoc``…),
            relative to the app's ``root_path``.
        page_prefixes: Mount points whose HTML pages get the same policy as
            the docs (the admin at ``/admin``); their other responses get
            :data:`API_CSP`.
        permissions_policy: The ``Permissions-Policy`` value.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool = False,
        hsts_max_age: int = 31_536_000,
        docs_paths: Iterable[str] = ("/docs", "/docs/oauth2-redirect", "/redoc"),
        page_prefixes: Iterable[str] = (),
        permissions_policy: str = DEFAULT_PERMISSIONS_POLICY,
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.docs_paths = frozenset(docs_paths)
        self.page_prefixes = tuple(prefix.rstrip("/") + "/" for prefix in page_prefixes)
        common = _encode(
            [
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"),
                ("Permissions-Policy", permissions_policy),
                ("Cross-Origin-Opener-Policy", "same-origin"),
            ]
        )
        hsts_header = _encode([("Strict-Transport-Security", f"max-age={hsts_max_age}")])
        self._common = common
        self._common_hsts = common + hsts_header
        self._no_store: Header = (_CACHE_CONTROL_KEY, b"no-store")
        self._api_csp: Header = (_CSP_KEY, API_CSP.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        common = self._common_hsts if self.hsts or scope.get("scheme") == "https" else self._common
        if self._is_docs_path(scope):
            sender = _DocsPageSender(send, common, self._no_store, self._api_csp)
            await self.app(scope, receive, sender)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Header] = [*message.get("headers", ()), *common]
                has_csp = has_cache_control = False
                for key, _ in headers:
                    if key == _CSP_KEY:
                        has_csp = True
                    elif key == _CACHE_CONTROL_KEY:
                        has_cache_control = True
                if not has_csp:
                    headers.append(self._api_csp)
                if not has_cache_control:
                    headers.append(self._no_store)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _is_docs_path(self, scope: Scope) -> bool:
        if not self.docs_paths and not self.page_prefixes:
            return False
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        return path in self.docs_paths or (
            bool(self.page_prefixes) and (path + "/").startswith(self.page_prefixes)
        )


class _DocsPageSender:
    """Send a docs page with its CSP, buffering the HTML to hash its inline scripts."""

    def __init__(
        self, send: Send, common: tuple[Header, ...], no_store: Header, api_csp: Header
    ) -> None:
        self.send = send
        self.common = common
        self.no_store = no_store
        self.api_csp = api_csp
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Header] = [*message.get("headers", ()), *self.common]
            if not any(key == _CACHE_CONTROL_KEY for key, _ in headers):
                # The page names this deployment's API; shared caches should not keep it.
                headers.append(self.no_store)
            message["headers"] = headers
            if not any(key == _CSP_KEY for key, _ in headers):
                if self._is_html(headers):
                    self.start = message  # held back until the body is complete
                    return
                headers.append(self.api_csp)  # a script, a stylesheet, an error text
            await self.send(message)
        elif message["type"] == "http.response.body" and self.start is not None:
            self.body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            html = b"".join(self.body)
            policy = docs_csp(_inline_script_hashes(html)).encode("latin-1")
            self.start["headers"].append((_CSP_KEY, policy))
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": html})
        else:
            await self.send(message)

    @staticmethod
    def _is_html(headers: list[Header]) -> bool:
        return any(
            key == _CONTENT_TYPE_KEY and value.startswith(b"text/html") for key, value in headers
        )
