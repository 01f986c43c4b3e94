"""Rate-limit response headers.

``RateLimit-Policy`` and ``RateLimit`` follow draft-ietf-httpapi-ratelimit-headers-11
(May 2026), the current draft: each is a Structured Fields List with one
Item per window, the item being the policy name as an sf-string::

    RateLimit-Policy: "minute";q=60;w=60, "hour";q=1000;w=3600
    RateLimit: "minute";r=59;t=60, "hour";r=999;t=3600

``q`` is the quota and ``w`` the window in seconds; ``r`` is the remaining
quota and ``t`` the seconds until the window's oldest counted hit leaves it
(within ``t`` seconds the client can make no more than ``r`` requests).

The single-valued ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (delta seconds, not an epoch) describe the binding
window: the one that refused, else the one with the fewest remaining hits.
A refusal also gets ``Retry-After`` in whole seconds, rounded up.
"""

from __future__ import annotations

import math

from fastmvc.ratelimit.result import RateLimitResult, WindowState
from fastmvc.ratelimit.rules import RateLimitRule

__all__ = ["rate_limit_header_pairs", "rate_limit_headers", "whole_seconds"]


def whole_seconds(seconds: float) -> int:
    """Round a delay up to whole seconds, ignoring float noise below a microsecond."""
    whole = math.ceil(seconds)
    if whole - seconds < 0.999:
        # Not within a millisecond above a whole second: the noise rule cannot
        # apply, and round() (slow, it goes through a decimal string) is not needed.
        return max(0, whole)
    return max(0, math.ceil(round(seconds, 6)))


def rate_limit_headers(result: RateLimitResult) -> dict[str, str]:
    """Return the headers that describe ``result``; empty when nothing was counted."""
    binding = result.binding
    if binding is None:
        return {}
    policy = ", ".join(
        f'"{w.rule.name}";q={w.rule.limit};w={w.rule.window_seconds}' for w in result.windows
    )
    current = ", ".join(
        f'"{w.rule.name}";r={w.remaining};t={whole_seconds(w.reset_after)}' for w in result.windows
    )
    reset = binding.retry_after if binding.retry_after is not None else binding.reset_after
    headers = {
        "RateLimit-Policy": policy,
        "RateLimit": current,
        "X-RateLimit-Limit": str(binding.rule.limit),
        "X-RateLimit-Remaining": str(binding.remaining),
        "X-RateLimit-Reset": str(whole_seconds(reset)),
    }
    retry_after = result.retry_after
    if retry_after is not None:
        # A refused client must wait; "0" would invite an immediate retry.
        headers["Retry-After"] = str(max(1, whole_seconds(retry_after)))
    return headers


# Keyed by the rules' ids: an entry holds its rules, so while it is cached no
# other object can take one of those ids.
_PLANS: dict[tuple[int, ...], _HeaderPlan] = {}
_MAX_PLANS = 256


class _HeaderPlan:
    """What the headers of one rule set share, encoded once: the policy and each item's name."""

    __slots__ = ("items", "policy", "rules")

    def __init__(self, rules: tuple[RateLimitRule, ...]) -> None:
        self.rules = rules
        self.policy = ", ".join(
            f'"{rule.name}";q={rule.limit};w={rule.window_seconds}' for rule in rules
        ).encode("latin-1")
        self.items = tuple(f'"{rule.name}";r='.encode("latin-1") for rule in rules)


def _plan(windows: tuple[WindowState, ...]) -> _HeaderPlan:
    key = tuple([id(window.rule) for window in windows])
    plan = _PLANS.get(key)
    if plan is None:
        plan = _HeaderPlan(tuple(window.rule for window in windows))
        if len(_PLANS) < _MAX_PLANS:
            _PLANS[key] = plan
    return plan


def rate_limit_header_pairs(result: RateLimitResult) -> list[tuple[bytes, bytes]]:
    """The headers of an *allowed* ``result`` as raw ASGI pairs; empty when nothing was counted.

    The same values as :func:`rate_limit_headers`, built for the hot path:
    every allowed request of a limited route sends them, so what depends
    only on the rules (the policy, each item's name) is encoded once per rule set.
    """
    windows = result.windows
    if not windows:
        return []
    plan = _plan(windows)
    current = b", ".join(
        [
            item + b"%d;t=%d" % (window.remaining, whole_seconds(window.reset_after))
            for item, window in zip(plan.items, windows, strict=True)
        ]
    )
    binding = result.binding
    assert binding is not None
    reset = binding.retry_after if binding.retry_after is not None else binding.reset_after
    pairs = [
        (b"ratelimit-policy", plan.policy),
        (b"ratelimit", current),
        (b"x-ratelimit-limit", b"%d" % binding.rule.limit),
        (b"x-ratelimit-remaining", b"%d" % binding.remaining),
        (b"x-ratelimit-reset", b"%d" % whole_seconds(reset)),
    ]
    retry_after = result.retry_after
    if retry_after is not None:
        pairs.append((b"retry-after", b"%d" % max(1, whole_seconds(retry_after))))
    return pairs
