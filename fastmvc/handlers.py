"""Exception handlers: every failure leaves as the error envelope.

- :class:`~fastmvc.errors.FastMVCError`: its own status, key and headers.
- FastAPI request validation: 422 with one entry per field.
- Starlette ``HTTPException`` (unknown route, wrong method…): its status.

Unexpected exceptions are answered by
:class:`fastmvc.middleware.errors.ServerErrorStep`, inside the
header-adding steps, so a 500 still carries the request id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from fastmvc.allow import allowed_methods
from fastmvc.errors import FastMVCError, ValidationFailedError
from fastmvc.responses import error_response

__all__ = ["install_exception_handlers", "validation_errors"]

_HTTP_KEYS = {
    400: "error_bad_request",
    401: "error_unauthorized",
    403: "error_forbidden",
    404: "error_not_found",
    405: "error_method_not_allowed",
    409: "error_conflict",
    413: "error_payload_too_large",
    415: "error_unsupported_media_type",
    422: "error_validation",
    429: "error_rate_limited",
    503: "error_service_unavailable",
}

_SOURCE_PREFIXES = {"body", "query", "path", "header", "cookie"}


def validation_errors(raw: Sequence[Any]) -> list[dict[str, str]]:
    """Flatten pydantic/FastAPI errors into ``{"field", "message", "type"}`` items."""
    items = []
    for error in raw:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in _SOURCE_PREFIXES and len(location) > 1:
            location = location[1:]
        items.append(
            {
                "field": ".".join(location) or "body",
                "message": str(error.get("msg", "invalid")),
                "type": str(error.get("type", "value_error")),
            }
        )
    return items


async def _fastmvc_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FastMVCError)
    return error_response(exc)


async def _request_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(ValidationFailedError(errors=validation_errors(exc.errors())))


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    error = FastMVCError(
        str(exc.detail) if exc.detail else None,
        headers=headers,
        response_key=_HTTP_KEYS.get(exc.status_code, "error_http"),
    )
    response = error_response(error)
    response.status_code = exc.status_code
    return response


def install_exception_handlers(app: FastAPI) -> None:
    """Register the envelope handlers on ``app``."""
    app.add_exception_handler(FastMVCError, _fastmvc_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
