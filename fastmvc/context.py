"""Per-request context carried in a contextvar.

The request-context middleware opens a :class:`RequestContext` before anything
else runs, so the envelope's ``transactionUrn``, the ``X-Request-ID`` header
and every log line made while serving the request agree. The object is
mutable on purpose: a dependency deep in the call (the current-user
dependency) records the user id on it, and the access-log middleware, which
sits outside that call, reads it back. A plain ``ContextVar.set`` made inside a
child task would not be seen from outside.
"""

from __future__ import annotations

import random
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = [
    "RequestContext",
    "current_context",
    "get_request_id",
    "is_safe_request_id",
    "new_request_id",
    "set_current_user_id",
]

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Every 10-bit value as its two Crockford base32 digits: a ULID is 13 lookups.
_DIGIT_PAIRS = tuple(high + low for high in _CROCKFORD for low in _CROCKFORD)
_MASK = 1023
_time_prefix: tuple[int, str] = (-1, "")


def _encode_time(millis: int) -> str:
    pairs = _DIGIT_PAIRS
    return (
        pairs[(millis >> 40) & _MASK]
        + pairs[(millis >> 30) & _MASK]
        + pairs[(millis >> 20) & _MASK]
        + pairs[(millis >> 10) & _MASK]
        + pairs[millis & _MASK]
    )


def new_request_id() -> str:
    """Return a fresh ULID string (48-bit millisecond time, 80 random bits).

    Every request mints one, so the base32 work is table lookups: ten bits
    at a time, and the time digits once per millisecond.
    """
    global _time_prefix
    millis = time.time_ns() // 1_000_000
    cached_millis, prefix = _time_prefix
    if cached_millis != millis:
        prefix = _encode_time(millis)
        _time_prefix = (millis, prefix)  # one assignment: threads never see half of it
    # Request ids are correlation handles, not secrets: the fast PRNG will do.
    bits = random.getrandbits(80)
    pairs = _DIGIT_PAIRS
    return (
        prefix
        + pairs[bits >> 70]
        + pairs[(bits >> 60) & _MASK]
        + pairs[(bits >> 50) & _MASK]
        + pairs[(bits >> 40) & _MASK]
        + pairs[(bits >> 30) & _MASK]
        + pairs[(bits >> 20) & _MASK]
        + pairs[(bits >> 10) & _MASK]
        + pairs[bits & _MASK]
    )


@dataclass(slots=True)
class RequestContext:
    """What the framework knows about the request being served."""

    request_id: str = field(default_factory=new_request_id)
    user_id: str | None = None
    client_ip: str | None = None
    reads_from_primary: bool = False
    """Set once the request opens a unit of work: its later reads skip the replicas."""


_context_var: ContextVar[RequestContext | None] = ContextVar("fastmvc_request", default=None)


def is_safe_request_id(value: str) -> bool:
    """Tell whether a client-sent ``X-Request-ID`` may be echoed back."""
    return _SAFE_REQUEST_ID.fullmatch(value) is not None


def open_context(request_id: str | None = None) -> RequestContext:
    """Start a context for a new request (called by the middleware)."""
    ctx = RequestContext() if request_id is None else RequestContext(request_id=request_id)
    _context_var.set(ctx)
    return ctx


def current_context() -> RequestContext | None:
    """Return the current request's context, or ``None`` outside a request."""
    return _context_var.get()


def get_request_id() -> str:
    """Return the current request id, opening a context outside a request."""
    ctx = _context_var.get()
    if ctx is None:
        ctx = open_context()
    return ctx.request_id


def set_current_user_id(user_id: str | int | None) -> None:
    """Record the authenticated user on the current request, for the access log."""
    ctx = _context_var.get()
    if ctx is not None:
        ctx.user_id = None if user_id is None else str(user_id)
