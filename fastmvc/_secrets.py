"""How strong a JWT secret is: length, estimated entropy and known placeholders.

Kept apart from :mod:`fastmvc.settings` (which enforces it) so the CLI can use
it without importing pydantic, and free of any FastMVC import so both sides
can.

The entropy estimate is the smaller of two empirical Shannon entropies, each
times the length: one over the characters, which catches ``"a" * 32`` and
small alphabets, and one over the differences between neighbouring
characters, which catches runs such as ``"1234…"`` or ``"abcd…"`` that use
many characters in a predictable order. It underestimates truly random
strings a little, which is why the bar (:data:`MIN_SECRET_BITS`) sits below
what a 32-byte random secret carries.
"""

from __future__ import annotations

import itertools
import math
import secrets
from collections import Counter

__all__ = [
    "KNOWN_PLACEHOLDERS",
    "MIN_SECRET_BITS",
    "MIN_SECRET_BYTES",
    "estimated_entropy_bits",
    "is_placeholder",
    "process_secret",
    "secret_problem",
]

MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 96

KNOWN_PLACEHOLDERS = frozenset(
    {
        # Every value this repository ever shipped or documented as a default.
        "change-me",
        "change-me-insecure-development-secret",
        "dev-only-not-a-secret-5c1f0e2d9b8a7f6e5d4c3b2a",
        # Values people copy from tutorials.
        "changeme",
        "change_me",
        "changethis",
        "replace-me",
        "replaceme",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "jwt-secret",
        "jwt_secret",
        "jwt-secret-key",
        "jwt_secret_key",
        "your-secret-key",
        "your_secret_key",
        "yoursecretkey",
        "your-256-bit-secret",
        "supersecret",
        "super-secret",
        "placeholder",
        "example",
        "password",
        "test",
        "dev",
        "development",
        "insecure",
    }
)


def is_placeholder(value: str) -> bool:
    """Whether the *whole* value is a known placeholder or a template slot.

    Only whole values count (``"change-me"``, ``"<secret>"``, ``"${JWT}"``),
    so a random secret that happens to contain ``xxx`` or ``secret`` is fine.
    """
    text = value.strip()
    if not text:
        return True
    if (text[0], text[-1]) in {("<", ">"), ("{", "}")} or text.startswith("${"):
        return True
    return text.lower() in KNOWN_PLACEHOLDERS


def _shannon_bits(symbols: list[int]) -> float:
    if not symbols:
        return 0.0
    total = len(symbols)
    per_symbol = -sum(
        (count / total) * math.log2(count / total) for count in Counter(symbols).values()
    )
    return per_symbol * total


def estimated_entropy_bits(value: str) -> float:
    """A conservative estimate of the bits of entropy in ``value`` (see the module docstring)."""
    codes = [ord(char) for char in value]
    by_character = _shannon_bits(codes)
    deltas = [after - before for before, after in itertools.pairwise(codes)]
    by_step = _shannon_bits(deltas)
    return min(by_character, by_step)


def secret_problem(value: str) -> str | None:
    """Say what is wrong with ``value`` as a production JWT secret, or ``None`` if nothing is."""
    if is_placeholder(value):
        return "JWT_SECRET_KEY is missing or a placeholder; generate a random one"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"JWT_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes"
    if estimated_entropy_bits(value) < MIN_SECRET_BITS:
        return (
            "JWT_SECRET_KEY has too little entropy (repeated or sequential characters); "
            'use python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return None


_PROCESS_SECRET = secrets.token_urlsafe(48)


def process_secret() -> str:
    """A random secret made once per process, used when none is configured outside production."""
    return _PROCESS_SECRET
