"""Security headers on every response; a strict CSP for the API, a working one for the docs."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from fastmvc.middleware import API_CSP

MakeApp = Callable[..., FastAPI]
ClientFor = Callable[..., httpx.AsyncClient]

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def _policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class _PageAssets(HTMLParser):
    """The external scripts, stylesheets, icons and inline scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.icons: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
            else:
                self._in_inline_script = True
                self.inline_scripts.append("")
        elif tag == "link" and attributes.get("href"):
            rel = attributes.get("rel") or ""
            target = self.stylesheets if "stylesheet" in rel else self.icons
            target.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data


def _origin(url: str) -> str:
    parts = urlsplit(url)
    # A relative URL is served by this origin: the CSP's 'self'.
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "'self'"


@pytest.mark.parametrize(
    "path", ["/ping", "/private", "/boom", "/text", "/nowhere", "/openapi.json"]
)
async def test_common_headers_and_strict_csp_on_api_responses(
    make_app: MakeApp, client_for: ClientFor, path: str
) -> None:
    async with client_for(make_app()) as client:
        response = await client.get(path)
    for name, value in COMMON.items():
        assert response.headers[name] == value
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["content-security-policy"] == API_CSP
    assert _policy(API_CSP) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers


async def test_headers_are_not_duplicated(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app()) as client:
        response = await client.get("/ping")
    for name in [*COMMON, "content-security-policy", "cache-control", "x-process-time"]:
        assert len(response.headers.get_list(name)) == 1, name


async def test_app_set_cache_control_and_csp_are_kept(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app()) as client:
        cached = await client.get("/cached")
        own = await client.get("/own-csp")
    assert cached.headers.get_list("cache-control") == ["public, max-age=60"]
    assert cached.headers["content-security-policy"] == API_CSP
    assert own.headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert own.headers["x-frame-options"] == "DENY"


async def test_hsts_only_over_https(make_app: MakeApp, client_for: ClientFor) -> None:
    app = make_app()
    async with client_for(app, "http://testserver") as client:
        plain = await client.get("/ping")
    async with client_for(app, "https://testserver") as client:
        secure = await client.get("/ping")
    assert "strict-transport-security" not in plain.headers
    assert secure.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_hsts_on_plain_http_when_configured(make_app: MakeApp, client_for: ClientFor) -> None:
    async with client_for(make_app(hsts=True), "http://testserver") as client:
        response = await client.get("/ping")
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_load_and_their_csp_allows_what_they_use(
    make_app: MakeApp, client_for: ClientFor, path: str
) -> None:
    async with client_for(make_app()) as client:
        response = await client.get(path)
        spec = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert int(response.headers["content-length"]) == len(response.content)
    assert spec.status_code == 200
    for name, value in COMMON.items():
        assert response.headers[name] == value

    csp = response.headers.get_list("content-security-policy")
    assert len(csp) == 1
    policy = _policy(csp[0])
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'self'" in policy["connect-src"]  # the page fetches /openapi.json

    page = _PageAssets()
    page.feed(response.text)
    assert page.scripts, "the docs page loads its bundle from a script tag"
    for src in page.scripts:
        assert _origin(src) in policy["script-src"], src
    for href in page.stylesheets:
        assert _origin(href) in policy["style-src"], href
    for href in page.icons:
        assert _origin(href) in policy["img-src"], href
    for script in page.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]


async def test_swagger_inline_script_is_allowed_by_hash_only(
    make_app: MakeApp, client_for: ClientFor
) -> None:
    async with client_for(make_app()) as client:
        response = await client.get("/docs")
    page = _PageAssets()
    page.feed(response.text)
    assert len(page.inline_scripts) == 1
    script_src = _policy(response.headers["content-security-policy"])["script-src"]
    assert [source for source in script_src if source.startswith("'sha256-")] != []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_need_no_third_party_origin(
    make_app: MakeApp, client_for: ClientFor, path: str
) -> None:
    async with client_for(make_app()) as client:
        response = await client.get(path)
    policy = _policy(response.headers["content-security-policy"])
    every_source = [source for sources in policy.values() for source in sources]
    assert not [source for source in every_source if "://" in source or "." in source]
    assert "http" not in response.text.replace("http-equiv", "")
    assert "blob:" in policy["worker-src"]  # ReDoc's search worker


async def test_docs_csp_follows_custom_docs_urls(client_for: ClientFor) -> None:
    from fastmvc.docs import DocsPaths, install_docs
    from fastmvc.middleware import install_middleware
    from fastmvc.settings import Settings

    app = FastAPI(docs_url=None, redoc_url=None)
    install_docs(app, DocsPaths(docs="/api/docs", redoc=None, assets="/api/docs/assets"))
    install_middleware(app, Settings(_env_file=None, rate_limit_enabled=False), limiter=None)
    async with client_for(app) as client:
        docs = await client.get("/api/docs")
        old = await client.get("/docs")
    assert "'sha256-" in docs.headers["content-security-policy"]
    assert old.status_code == 404
    assert old.headers["content-security-policy"] == API_CSP


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_are_not_stored_by_caches(
    make_app: MakeApp, client_for: ClientFor, path: str
) -> None:
    # Issue 8, defect 8: the docs pages went out without any Cache-Control.
    async with client_for(make_app()) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers.get_list("cache-control") == ["no-store"]


async def test_a_path_policy_gives_its_prefix_its_own_csp(client_for: ClientFor) -> None:
    from starlette.responses import HTMLResponse

    from fastmvc.middleware import PathPolicy, SecurityHeadersMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = {"Content-Security-Policy": "img-src 'none'"} if scope["path"] == "/own" else {}
        await HTMLResponse("<p>admin</p>", headers=headers)(scope, receive, send)

    admin = PathPolicy(csp="default-src 'self'; frame-ancestors 'none'", prefixes=("/admin/",))
    wrapped = SecurityHeadersMiddleware(app, path_policies=[admin])
    async with client_for(wrapped) as client:
        page = await client.get("/admin/users")
        api = await client.get("/administrator")
        own = await client.get("/own")
        docs = await client.get("/docs")
    assert page.headers.get_list("content-security-policy") == [admin.csp]
    assert page.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"] == API_CSP
    assert own.headers.get_list("content-security-policy") == ["img-src 'none'"]
    assert docs.headers["content-security-policy"].startswith("default-src 'none'; script-src")


async def test_a_page_policy_prefix_hashes_html_and_gives_the_rest_the_api_policy() -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    from fastmvc.middleware.security_headers import SecurityHeadersMiddleware, page_policy

    page = "<html><script>go()</script></html>"
    inner = Starlette(
        routes=[
            Route("/admin/", lambda _r: HTMLResponse(page)),
            Route("/admin/app.js", lambda _r: PlainTextResponse("go()")),
            Route("/administrators", lambda _r: HTMLResponse(page)),
        ]
    )
    policy = page_policy(prefixes=["/admin/"])
    app = SecurityHeadersMiddleware(inner, docs_paths=(), path_policies=[policy])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        html = await http.get("/admin/")
        script = await http.get("/admin/app.js")
        outside = await http.get("/administrators")
    digest = base64.b64encode(hashlib.sha256(b"go()").digest()).decode()
    assert f"'sha256-{digest}'" in _policy(html.headers["content-security-policy"])["script-src"]
    assert html.headers["cache-control"] == "no-store"
    assert script.headers["content-security-policy"] == API_CSP
    # A path that only starts with the same letters is not under the prefix.
    assert outside.headers["content-security-policy"] == API_CSP
