"""The security-headers step: the same headers on every response, a CSP chosen by path.

Every response gets the strict :data:`API_CSP` unless a :class:`PathPolicy`
matches its path. The docs pages have one (:func:`docs_policy`), computed
from each page's inline scripts; another part of the app with pages of its
own adds a ``PathPolicy(prefixes=("/its-prefix/",), csp="...")``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Send

from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Header, Step

__all__ = [
    "API_CSP",
    "DEFAULT_DOCS_PATHS",
    "DEFAULT_PERMISSIONS_POLICY",
    "PathPolicy",
    "SecurityHeadersMiddleware",
    "SecurityHeadersStep",
    "docs_csp",
    "docs_policy",
    "page_policy",
]

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


def _page_csp(html: bytes) -> str:
    return docs_csp(_inline_script_hashes(html))


DEFAULT_DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")


@dataclass(frozen=True, slots=True)
class PathPolicy:
    """The ``Content-Security-Policy`` of the responses under some paths.

    Paths are relative to the app's ``root_path``. A ``csp`` string is sent
    on every matching response (unless the app set a policy itself). A
    function ``csp(html) -> str`` is for pages that need their own inline
    scripts' hashes: matching HTML responses are buffered, and the policy is
    computed from the page; other matching responses get no policy.

    Attributes:
        csp: The policy, or how to compute it from an HTML page.
        paths: Exact paths (``"/docs"``).
        prefixes: Path prefixes (``"/admin/"``).
    """

    csp: str | Callable[[bytes], str]
    paths: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def matches(self, path: str) -> bool:
        """Whether ``path`` (relative to ``root_path``) falls under this policy."""
        return path in self.paths or path.startswith(self.prefixes)


def page_policy(*, paths: Iterable[str] = (), prefixes: Iterable[str] = ()) -> PathPolicy:
    """The policy of HTML pages with inline scripts (docs, admin): :func:`docs_csp` per page.

    Their other responses (scripts, stylesheets, error texts) get :data:`API_CSP`.
    """
    return PathPolicy(csp=_page_csp, paths=frozenset(paths), prefixes=tuple(prefixes))


def docs_policy(paths: Iterable[str] = DEFAULT_DOCS_PATHS) -> PathPolicy:
    """The policy of the Swagger UI and ReDoc pages."""
    return page_policy(paths=paths)


def _encode(pairs: Iterable[tuple[str, str]]) -> tuple[Header, ...]:
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs)


class SecurityHeadersStep(Step):
    """Add the security headers of ARCHITECTURE.md to every HTTP response.

    Every response gets ``X-Content-Type-Options``, ``X-Frame-Options``,
    ``Referrer-Policy``, ``Permissions-Policy`` and
    ``Cross-Origin-Opener-Policy``, plus ``Strict-Transport-Security`` when the
    request came over HTTPS or ``hsts`` is set, and ``Cache-Control: no-store``
    (docs pages included). Responses get the strict :data:`API_CSP` (JSON,
    and also files or text: a strict policy there stops stored XSS through
    served content) unless a :class:`PathPolicy` matches their path; the
    first that matches wins. A ``Cache-Control`` or ``Content-Security-Policy``
    the app set itself is kept. Every header is encoded once, here.

    Args:
        hsts: Send HSTS on plain-HTTP requests too (TLS ends at a proxy).
        hsts_max_age: HSTS ``max-age`` in seconds.
        docs_paths: Paths of the HTML docs pages (``/docs``, ``/redoc``…),
            relative to the app's ``root_path``: they get :func:`docs_policy`.
        permissions_policy: The ``Permissions-Policy`` value.
        path_policies: More policies by path, checked after the docs pages'.
    """

    name = "security_headers"

    def __init__(
        self,
        *,
        hsts: bool = False,
        hsts_max_age: int = 31_536_000,
        docs_paths: Iterable[str] = DEFAULT_DOCS_PATHS,
        permissions_policy: str = DEFAULT_PERMISSIONS_POLICY,
        path_policies: Iterable[PathPolicy] = (),
    ) -> None:
        self.hsts = hsts
        docs = frozenset(docs_paths)
        self.policies = ((docs_policy(docs),) if docs else ()) + tuple(path_policies)
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
        self._fixed_csp = {
            policy: (_CSP_KEY, policy.csp.encode("latin-1"))
            for policy in self.policies
            if isinstance(policy.csp, str)
        }

    def on_request(self, exchange: Exchange) -> None:
        if not self.policies:
            return
        path = exchange.path
        root_path = exchange.root_path
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        for policy in self.policies:
            if policy.matches(path):
                exchange.state[self] = policy
                if not isinstance(policy.csp, str):
                    exchange.send = _PageCSPSender(exchange.send, policy.csp, self._api_csp)
                return

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        has_csp = has_cache_control = False
        for key, _ in headers:
            if key == _CSP_KEY:
                has_csp = True
            elif key == _CACHE_CONTROL_KEY:
                has_cache_control = True
        secure = self.hsts or exchange.scope.get("scheme") == "https"
        headers.extend(self._common_hsts if secure else self._common)
        if not has_cache_control:
            headers.append(self._no_store)
        if not has_csp:
            policy = exchange.state.get(self)
            if policy is None:
                headers.append(self._api_csp)
            elif isinstance(policy.csp, str):
                headers.append(self._fixed_csp[policy])
            # else: the page's sender adds it once the HTML is complete


class _PageCSPSender:
    """Send an HTML page with the CSP computed from it, buffering the page until complete."""

    def __init__(self, send: Send, csp: Callable[[bytes], str], other: Header) -> None:
        self.send = send
        self.csp = csp
        self.other = other
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Header] = message["headers"]
            if not any(key == _CSP_KEY for key, _ in headers):
                if _is_html(headers):
                    self.start = message  # held back until the body is complete
                    return
                headers.append(self.other)  # a script, a stylesheet, an error text
            await self.send(message)
        elif message["type"] == "http.response.body" and self.start is not None:
            self.body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            html = b"".join(self.body)
            self.start["headers"].append((_CSP_KEY, self.csp(html).encode("latin-1")))
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": html})
        else:
            await self.send(message)


def _is_html(headers: list[Header]) -> bool:
    return any(
        key == _CONTENT_TYPE_KEY and value.startswith(b"text/html") for key, value in headers
    )


class SecurityHeadersMiddleware(Edge):
    """:class:`SecurityHeadersStep` on its own, as ASGI middleware.

    Args:
        app: The ASGI app to wrap.
        hsts: Send HSTS on plain-HTTP requests too (TLS ends at a proxy).
        hsts_max_age: HSTS ``max-age`` in seconds.
        docs_paths: Paths of the HTML docs pages, relative to the app's ``root_path``.
        permissions_policy: The ``Permissions-Policy`` value.
        path_policies: More policies by path.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool = False,
        hsts_max_age: int = 31_536_000,
        docs_paths: Iterable[str] = DEFAULT_DOCS_PATHS,
        permissions_policy: str = DEFAULT_PERMISSIONS_POLICY,
        path_policies: Iterable[PathPolicy] = (),
    ) -> None:
        step = SecurityHeadersStep(
            hsts=hsts,
            hsts_max_age=hsts_max_age,
            docs_paths=docs_paths,
            permissions_policy=permissions_policy,
            path_policies=path_policies,
        )
        super().__init__(app, [step])
