"""The app-wide limit per client IP: an edge step, and the same as ASGI middleware."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from starlette.types import ASGIApp

from fastmvc.errors import RateLimitedError, ServiceUnavailableError
from fastmvc.middleware.client_ip import DEFAULT_IPV6_PREFIX, client_bucket, client_ip
from fastmvc.middleware.edge import Edge
from fastmvc.middleware.step import Exchange, Header, Reply, Step
from fastmvc.ratelimit.headers import rate_limit_header_pairs, rate_limit_headers
from fastmvc.ratelimit.limiter import RateLimiter
from fastmvc.responses import error_response
from fastmvc.settings import IPNetwork

__all__ = ["DEFAULT_EXEMPT_PATHS", "RateLimitMiddleware", "RateLimitStep"]

DEFAULT_EXEMPT_PATHS = ("/health/live", "/health/ready")
_RATELIMIT_KEY = b"ratelimit"


class RateLimitStep(Step):
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

    Args:
        limiter: The app's limiter (``Runtime.limiter``).
        trusted_proxies: Networks whose ``X-Forwarded-For`` is believed.
        exempt_paths: Exact paths never limited (health checks).
        ipv6_prefix: IPv6 clients are counted per network of this size.
    """

    name = "rate_limit"

    def __init__(
        self,
        *,
        limiter: RateLimiter,
        trusted_proxies: Sequence[IPNetwork] = (),
        exempt_paths: Collection[str] = DEFAULT_EXEMPT_PATHS,
        ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
    ) -> None:
        self.limiter = limiter
        self.trusted_proxies = tuple(trusted_proxies)
        self.exempt_paths = frozenset(exempt_paths)
        self.ipv6_prefix = ipv6_prefix

    async def on_request(self, exchange: Exchange) -> Reply:
        if exchange.path in self.exempt_paths:
            return None
        ip = client_ip(exchange.scope, self.trusted_proxies) or "unknown"
        try:
            result = await self.limiter.check(f"ip:{client_bucket(ip, self.ipv6_prefix)}")
        except ServiceUnavailableError as exc:
            return error_response(exc)
        if not result.allowed:
            return error_response(RateLimitedError(headers=rate_limit_headers(result)))
        pairs = rate_limit_header_pairs(result)
        if pairs:
            exchange.state[self] = pairs
        return None

    def on_response_start(self, exchange: Exchange, headers: list[Header]) -> None:
        pairs = exchange.state.get(self)
        if pairs is not None and not any(name == _RATELIMIT_KEY for name, _ in headers):
            headers.extend(pairs)


class RateLimitMiddleware(Edge):
    """:class:`RateLimitStep` on its own, as ASGI middleware.

    Args:
        app: The next ASGI app.
        limiter: The app's limiter (``Runtime.limiter``).
        trusted_proxies: Networks whose ``X-Forwarded-For`` is believed.
        exempt_paths: Exact paths never limited (health checks).
        ipv6_prefix: IPv6 clients are counted per network of this size.
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
        step = RateLimitStep(
            limiter=limiter,
            trusted_proxies=trusted_proxies,
            exempt_paths=exempt_paths,
            ipv6_prefix=ipv6_prefix,
        )
        super().__init__(app, [step])
