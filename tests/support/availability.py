"""What a test does when something it needs is missing: skip locally, fail under CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when ``CI=true``, where every service must be there."""
    # Case-insensitive: a CI that exports "True" must not turn failures into skips.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(reason)
