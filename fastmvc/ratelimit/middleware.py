"""App-wide limit per client IP, as pure ASGI middleware."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastmvc.errors import RateLimitedError, ServiceUnavailableError
from fastmvc.middleware.client_ip import DEFAULT_IPV6_PREFIX, client_bucket, client_ip
from fastmvc.ratelimit.headers import rate_limit_headers
from fastmvc.ratelimit.limiter import RateLimiter
from fastmvc.responses import error_response
from fastmvc.settings import IPNetwork

__all__ = ["DEFAULT_EXEMPT_PATHS", "RateLimitMiddleware"]

DEFAULT_EXEMPT_PATHS = ("/health/live", "/health/ready")
_RATELIMIT_KEY = b"ratelimit"


class RateLimitMiddleware:
    """Apply the limiter's default rules to every HTTP request, keyed by client IP.

    The client IP comes from :func:`fastmvc.middleware.client_ip.client_ip`,
    so ``X-Forwarded-For`` counts only when the peer is a trusted proxy, and
    IPv6 clients share one bucket per ``/ipv6_prefix`` network.
    A refused request gets the 429 envelope with ``Retry-After`` and the
    rate-limit headers (see :mod:`fastmvc.ratelimit.headers`); an allowed one
    gets the rate-limit headers added to its response. When the limiter fails
    closed because its backend is down, the answer is the 503 envelope.

    When the response already carries a ``RateLimit`` header, set by a
    stricter per-route :class:`~fastmvc.ratelimit.RateLimit`, the route's
    headers are kept as they are: they describe the tighter limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        trusted_proxies: Sequence[IPNetwork] = (),
        exempt_paths: Collection[str] = DEFAULT_EXEMPT_PATHS,
        ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ) -> None:
        """Wrap ``app``.

        Args:
            app: The next ASGI app.
            limiter: The app's limiter (``Runtime.limiter``).
            trusted_proxies: Networks whose ``X-Forwarded-For`` is believed.
            exempt_paths: Exact paths never limited (health checks).
            ipv6_prefix: IPv6 clients are counted per network of this size.
        """
        self.app = app
        self.limiter = limiter
        self.trusted_proxies = tuple(trusted_proxies)
        self.exempt_paths = frozenset(exempt_paths)
        self.ipv6_prefix = ipv6_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        ip = client_ip(scope, self.trusted_proxies) or "unknown"
        try:
            result = await self.limiter.check(f"ip:{client_bucket(ip, self.ipv6_prefix)}")
        except ServiceUnavailableError as exc:
            await error_response(exc)(scope, receive, send)
            return
        headers = rate_limit_headers(result)
        if not result.allowed:
            await error_response(RateLimitedError(headers=headers))(scope, receive, send)
            return
        if not headers:
            await self.app(scope, receive, send)
            return

        raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = list(message.get("headers", ()))
                if not any(name == _RATELIMIT_KEY for name, _ in existing):
                    message["headers"] = existing + raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
