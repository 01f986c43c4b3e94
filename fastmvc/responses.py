"""Build envelope responses.

Used by controllers (success), by the exception handlers and by pure-ASGI
middleware that must answer on their own (413, 429, 500, 503).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from fastmvc.context import get_request_id
from fastmvc.errors import FastMVCError

__all__ = ["JSON_MEDIA_TYPE", "envelope_response", "error_body", "error_response"]

JSON_MEDIA_TYPE = "application/json"


def error_body(
    *,
    message: str,
    response_key: str,
    errors: list[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the failure envelope as a plain dict."""
    body: dict[str, Any] = {
        "transactionUrn": get_request_id(),
        "status": "FAILED",
        "responseMessage": message,
        "responseKey": response_key,
        "data": None,
    }
    if errors is not None:
        body["errors"] = [dict(item) for item in errors]
    return body


def error_response(exc: FastMVCError) -> Response:
    """Turn one of our errors into its envelope response."""
    body = error_body(message=exc.message, response_key=exc.response_key, errors=exc.errors)
    return Response(
        content=json.dumps(body, separators=(",", ":")),
        status_code=exc.status_code,
        headers=exc.headers or None,
        media_type=JSON_MEDIA_TYPE,
    )


def envelope_response(
    content: bytes,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Wrap pre-serialized envelope bytes in a response."""
    return Response(
        content=content, status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE
    )
