"""Ready-made key functions for :class:`~fastmvc.ratelimit.RateLimit`."""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request

from fastmvc.middleware.client_ip import client_ip
from fastmvc.state import get_runtime

__all__ = ["client_ip_and_email_key", "client_ip_key"]

# A login body is tiny; anything bigger is not worth parsing for a key.
_MAX_BODY_FOR_KEY = 64 * 1024


async def client_ip_key(request: Request) -> str:
    """The client's IP, believing ``X-Forwarded-For`` only from ``TRUSTED_PROXIES``."""
    trusted = get_runtime(request).settings.trusted_proxies
    return client_ip(request.scope, trusted) or "unknown"


async def client_ip_and_email_key(request: Request) -> str:
    """Client IP plus the lower-cased ``email`` of the JSON body, for login throttling.

    Limiting IP and email together stops one client from guessing one
    account's password quickly, without letting one shared IP (an office
    NAT) lock everybody out. The email is hashed so addresses never appear
    in Redis keys. A body that is not a JSON object with a string ``email``
    gives the IP alone; this never raises on bad input.
    """
    ip = await client_ip_key(request)
    email = _email_from(await request.body())
    if email is None:
        return ip
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{ip}:{digest}"


def _email_from(body: bytes) -> str | None:
    if not body or len(body) > _MAX_BODY_FOR_KEY:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    email = data.get("email")
    if not isinstance(email, str):
        return None
    email = email.strip().lower()
    return email or None
