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


class EnvelopeTemplate:
    """The success envelope with its fixed parts encoded once.

    A route answers thousands of times with the same ``responseMessage`` and
    ``responseKey``; only the request id and the data change. Rendering
    splices those into pre-encoded bytes, so the envelope costs no model
    validation and no second serialization pass. The output is exactly the
    JSON of :class:`fastmvc.dto.Envelope` (same keys, same order).

    Args:
        message: ``responseMessage``.
        key: ``responseKey``.
    """

    __slots__ = ("_tail",)

    def __init__(self, message: str, key: str) -> None:
        self._tail = (
            b'","status":"SUCCESS","responseMessage":'
            + json.dumps(message).encode()
            + b',"responseKey":'
            + json.dumps(key).encode()
            + b',"data":'
        )

    def render(self, data_json: bytes) -> bytes:
        """Return the envelope around ``data_json`` (already-encoded JSON)."""
        # Request ids are ULIDs or match [A-Za-z0-9._-]{1,64}: nothing to escape.
        return b'{"transactionUrn":"' + get_request_id().encode() + self._tail + data_json + b"}"
