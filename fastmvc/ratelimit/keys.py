"""Ready-made key functions for :class:`~fastmvc.ratelimit.RateLimit`."""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request

from fastmvc.errors import PayloadTooLargeError
from fastmvc.middleware.client_ip import client_bucket, client_ip
from fastmvc.security.emails import MAX_EMAIL_LENGTH, canonical_email
from fastmvc.state import get_runtime

__all__ = [
    "AUTH_MAX_BODY_BYTES",
    "client_ip_and_email_key",
    "client_ip_key",
    "ip_and_email_key",
]

# Above every body the auth schemas accept, however it is encoded: the largest
# (a 320-character email or 4 KiB token beside a 1,024-character password)
# stays under 17 KiB even with every character JSON-escaped as a surrogate
# pair (12 bytes). Far below what an attacker would pad to.
AUTH_MAX_BODY_BYTES = 32 * 1024
"""The largest body an auth route reads: a 320-character email and a
1,024-character password fit many times over, even JSON-escaped."""


async def client_ip_key(request: Request) -> str:
    """The client IP bucket: ``X-Forwarded-For`` only from trusted proxies, IPv6 by network."""
    settings = get_runtime(request).settings
    ip = client_ip(request.scope, settings.trusted_proxies) or "unknown"
    return client_bucket(ip, settings.rate_limit_ipv6_prefix)


async def client_ip_and_email_key(request: Request) -> str:
    """Client IP plus the canonical ``email`` of the JSON body, for login throttling.

    Limiting IP and email together stops one client from guessing one
    account's password quickly, without letting one shared IP (an office
    NAT) lock everybody out. The email goes through the same canonical form
    as the accounts (:func:`~fastmvc.security.emails.canonical_email`) and is
    cut at 320 characters, so neither case, fullwidth forms nor padding
    makes a fresh bucket; it is hashed so addresses never appear in Redis
    keys. A body larger than :data:`AUTH_MAX_BODY_BYTES` is refused with 413
    before any keying. A body without a string ``email`` gives the IP alone
    (the route answers it with 422).

    Raises:
        PayloadTooLargeError: The body is larger than an auth request can be.
    """
    ip = await client_ip_key(request)
    email = _email_from(await read_auth_body(request))
    return ip if email is None else ip_and_email_key(ip, email)


def ip_and_email_key(ip: str, email: str) -> str:
    """The login-throttling identity of ``email`` from the client bucket ``ip``.

    Shared by every login form (``POST /auth/login`` and the admin's), so
    switching forms buys no extra guesses.
    """
    email = canonical_email(email[: MAX_EMAIL_LENGTH * 4])[:MAX_EMAIL_LENGTH]
    if not email:
        return ip
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{ip}:{digest}"


async def read_auth_body(request: Request) -> bytes:
    """The request body, refused with 413 when larger than :data:`AUTH_MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > AUTH_MAX_BODY_BYTES:
        raise _too_large()
    body = await request.body()
    if len(body) > AUTH_MAX_BODY_BYTES:
        raise _too_large()
    return body


def _too_large() -> PayloadTooLargeError:
    return PayloadTooLargeError(f"An auth request body is at most {AUTH_MAX_BODY_BYTES} bytes")


def _email_from(body: bytes) -> str | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    email = data.get("email")
    return email if isinstance(email, str) else None
