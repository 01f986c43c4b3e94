"""CSRF protection for every admin form: a per-session token, checked on each unsafe request.

The token lives in the signed session (a synchronizer token, not a cookie
that page scripts could read). Pages carry it in a ``<meta>`` element;
``static/csrf.js`` copies it into every POST form as ``csrf_token`` and into
jQuery's AJAX calls (the delete button) as ``X-CSRF-Token``. The check below
refuses any POST, PUT, PATCH or DELETE whose token is missing or different
with 403, before the admin sees the request, whatever page it came from.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "CSRFMiddleware", "csrf_token", "rotate_csrf_token"]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SESSION_KEY = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(connection: HTTPConnection) -> str:
    """The session's CSRF token, made on first use (templates call it)."""
    session: dict[str, Any] = connection.session
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def rotate_csrf_token(connection: HTTPConnection) -> str:
    """Replace the token (at sign-in, so a token seen before it is worth nothing after)."""
    token: str = secrets.token_urlsafe(32)
    connection.session[_SESSION_KEY] = token
    return token


class CSRFMiddleware:
    """Refuse unsafe requests without the session's CSRF token (pure ASGI).

    Runs inside the session layer. The token comes from the ``X-CSRF-Token``
    header or, for a form, from its ``csrf_token`` field; the body read to
    find the field is replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get(_SESSION_KEY)
        body, receive = await _buffered(receive)
        sent = await _sent_token(scope, body)
        if not (
            isinstance(expected, str)
            and sent
            and hmac.compare_digest(sent.encode(), expected.encode())
        ):
            response = PlainTextResponse(
                "CSRF token missing or invalid: reload the page and try again", status_code=403
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body; return it and a ``receive`` that replays it first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _sent_token(scope: Scope, body: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == CSRF_HEADER.encode():
            return value.decode("latin-1")
    content_type = next((v for k, v in headers if k == b"content-type"), b"")
    if not content_type.decode("latin-1").lower().startswith(_FORM_TYPES):
        return None

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(scope, once)
    try:
        async with request.form() as form:
            token = form.get(CSRF_FIELD)
    except Exception:  # a malformed body: no token was sent
        return None
    return token if isinstance(token, str) else None
