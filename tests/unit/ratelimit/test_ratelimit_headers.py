from __future__ import annotations

import math

import pytest

from fastmvc.ratelimit import RateLimitResult, RateLimitRule, WindowState, rate_limit_headers
from fastmvc.ratelimit.headers import rate_limit_header_pairs, whole_seconds

MINUTE = RateLimitRule(60, 60)
HOUR = RateLimitRule(1000, 3600)


def test_allowed_headers_follow_the_draft_syntax() -> None:
    result = RateLimitResult(
        allowed=True,
        windows=(
            WindowState(MINUTE, remaining=59, reset_after=60.0),
            WindowState(HOUR, remaining=990, reset_after=3000.2),
        ),
    )
    assert rate_limit_headers(result) == {
        "RateLimit-Policy": '"minute";q=60;w=60, "hour";q=1000;w=3600',
        "RateLimit": '"minute";r=59;t=60, "hour";r=990;t=3001',
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "59",
        "X-RateLimit-Reset": "60",
    }


def test_binding_window_is_the_one_with_fewest_remaining() -> None:
    result = RateLimitResult(
        allowed=True,
        windows=(
            WindowState(MINUTE, remaining=40, reset_after=12.0),
            WindowState(HOUR, remaining=3, reset_after=1800.5),
        ),
    )
    headers = rate_limit_headers(result)
    assert headers["X-RateLimit-Limit"] == "1000"
    assert headers["X-RateLimit-Remaining"] == "3"
    assert headers["X-RateLimit-Reset"] == "1801"
    assert "Retry-After" not in headers


def test_refusal_reports_the_longest_wait_rounded_up() -> None:
    result = RateLimitResult(
        allowed=False,
        windows=(
            WindowState(MINUTE, remaining=0, reset_after=4.2, retry_after=4.2),
            WindowState(HOUR, remaining=0, reset_after=100.01, retry_after=100.01),
        ),
    )
    headers = rate_limit_headers(result)
    assert headers["Retry-After"] == "101"
    assert headers["X-RateLimit-Limit"] == "1000"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == "101"
    assert headers["RateLimit"] == '"minute";r=0;t=5, "hour";r=0;t=101'


def test_retry_after_is_never_zero() -> None:
    result = RateLimitResult(
        allowed=False,
        windows=(WindowState(MINUTE, remaining=0, reset_after=0.0, retry_after=0.0),),
    )
    assert rate_limit_headers(result)["Retry-After"] == "1"


def test_unchecked_result_has_no_headers() -> None:
    assert rate_limit_headers(RateLimitResult.unchecked()) == {}


@pytest.mark.parametrize(
    ("seconds", "whole"),
    [(0.0, 0), (0.000_000_1, 0), (0.2, 1), (1.0, 1), (59.999_999_9, 60), (60.000_000_4, 60)],
)
def test_whole_seconds_rounds_up_ignoring_float_noise(seconds: float, whole: int) -> None:
    assert whole_seconds(seconds) == whole


@pytest.mark.parametrize(
    "seconds", [-0.5, 0.000_000_6, 0.999, 1.000_4, 1.001, 59.000_000_49, 59.000_000_51, 3000.2]
)
def test_whole_seconds_fast_path_agrees_with_rounding_first(seconds: float) -> None:
    assert whole_seconds(seconds) == max(0, math.ceil(round(seconds, 6)))


@pytest.mark.parametrize(
    "windows",
    [
        (
            WindowState(MINUTE, remaining=59, reset_after=60.0),
            WindowState(HOUR, remaining=990, reset_after=3000.2),
        ),
        (
            WindowState(MINUTE, remaining=5, reset_after=12.5),
            WindowState(HOUR, remaining=5, reset_after=3000.0),
        ),
        (WindowState(HOUR, remaining=0, reset_after=1.000_000_2),),
    ],
)
def test_raw_header_pairs_are_the_headers_encoded(windows: tuple[WindowState, ...]) -> None:
    result = RateLimitResult(allowed=True, windows=windows)
    expected = [
        (name.lower().encode(), value.encode())
        for name, value in rate_limit_headers(result).items()
    ]
    assert rate_limit_header_pairs(result) == expected
    assert rate_limit_header_pairs(result) == expected  # the cached policy, second time
    assert rate_limit_header_pairs(RateLimitResult.unchecked()) == []
