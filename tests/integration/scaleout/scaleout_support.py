"""Bursts of requests across app instances, and what an exact limit looks like."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import httpx


async def burst(
    urls: Sequence[str], requests: int, *, path: str = "/openapi.json"
) -> list[httpx.Response]:
    """``requests`` concurrent GETs of ``path``, dealt round-robin over ``urls``."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(client.get(urls[index % len(urls)] + path) for index in range(requests))
        )


def assert_exact_limit(responses: Sequence[httpx.Response], limit: int) -> None:
    """Exactly ``limit`` answers passed, each handing out a distinct slot; the rest got 429."""
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: limit, 429: len(responses) - limit}, statuses
    allowed = [response for response in responses if response.status_code == 200]
    remaining = sorted(int(response.headers["X-RateLimit-Remaining"]) for response in allowed)
    assert remaining == list(range(limit))
    for refused in (response for response in responses if response.status_code == 429):
        assert refused.json()["responseKey"] == "error_rate_limited"
