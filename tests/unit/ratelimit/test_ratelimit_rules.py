from __future__ import annotations

import pytest

from fastmvc.ratelimit import RateLimitRule, default_rules
from fastmvc.ratelimit.rules import validate_rules
from fastmvc.settings import Settings


@pytest.mark.parametrize(
    ("window", "name"),
    [(1, "second"), (60, "minute"), (3600, "hour"), (86_400, "day"), (300, "300s")],
)
def test_default_policy_name_comes_from_the_window(window: int, name: str) -> None:
    assert RateLimitRule(5, window).name == name


def test_explicit_name_is_kept() -> None:
    assert RateLimitRule(5, 60, name="login").name == "login"


@pytest.mark.parametrize(
    ("limit", "window", "name"),
    [(0, 60, ""), (-1, 60, ""), (5, 0, ""), (5, 60, 'bad"name'), (5, 60, "has space")],
)
def test_invalid_rules_are_refused(limit: int, window: int, name: str) -> None:
    with pytest.raises(ValueError):
        RateLimitRule(limit, window, name=name)


def test_rule_sets_need_distinct_windows_and_names() -> None:
    with pytest.raises(ValueError, match="window"):
        validate_rules([RateLimitRule(1, 60), RateLimitRule(2, 60, name="other")])
    with pytest.raises(ValueError, match="name"):
        validate_rules([RateLimitRule(1, 60, name="x"), RateLimitRule(2, 61, name="x")])
    with pytest.raises(ValueError, match="at least one"):
        validate_rules([])


def test_default_rules_read_the_settings() -> None:
    rules = default_rules(Settings(rate_limit_per_minute=7, rate_limit_per_hour=70))
    assert rules == (RateLimitRule(7, 60), RateLimitRule(70, 3600))
    assert default_rules(Settings()) == (RateLimitRule(60, 60), RateLimitRule(1000, 3600))
