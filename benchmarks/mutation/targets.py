"""Which module is mutated, and which fast tests must catch each mutant.

One line per module, its tests given as a glob. Only tests that run without
PostgreSQL, Redis or a subprocess belong here: every mutant reruns the tests
that reach the mutated function, so a slow test multiplies into hours.
"""

from __future__ import annotations

TARGETS: dict[str, str] = {
    "fastmvc/security/tokens.py": "tests/unit/security/test_security_token*.py",
    "fastmvc/security/passwords.py": "tests/unit/security/test_security_passwords.py",
    "fastmvc/repository/filters.py": "tests/integration/repository/test_filter*.py",
    "fastmvc/repository/cursor.py": "tests/integration/repository/test_sorting*.py",
    "fastmvc/ratelimit/limiter.py": "tests/unit/ratelimit/test_ratelimit_limiter*.py",
    "fastmvc/access/policy.py": "tests/unit/access/test_access_policy.py",
}
"""Module to mutate → the test files (a glob) that must catch its mutants."""

# Tests that need a service or a subprocess are left out of every run.
FAST_ONLY = "not postgres and not redis and not slow"

# A module passes at this share of mutants killed.
TARGET_SCORE = 0.90
