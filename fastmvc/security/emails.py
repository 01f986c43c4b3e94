"""One spelling per email address, so lookalikes cannot open a second account.

The rule, applied to every email that registration stores, login looks up
and the login limit keys on:

1. Unicode NFKC, then case folding (then NFKC again, which case folding can
   undo). Fullwidth letters (U+FF41…), ``ADA@EXAMPLE.COM`` and
   ``ada@example.com`` are one account.
2. Registration refuses a local part (before the ``@``) whose letters come
   from more than one script, such as Latin ``a`` next to Cyrillic ``a`` (U+0430):
   that is how homoglyph lookalikes of an existing address are made. Chinese,
   Japanese and Korean count as one script; digits and punctuation are free.

Addresses written wholly in another script stay distinct accounts: they are
different mailboxes.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_EMAIL_LENGTH", "canonical_email", "normalize_email"]

MAX_EMAIL_LENGTH = 320
"""RFC 5321's 64 + 1 + 255, rounded as most systems do."""

# Deliberately simple: one "@", no spaces, a dot in the domain. Deliverability
# is proven by a confirmation mail, not by a regex.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC"})


def canonical_email(value: str) -> str:
    """NFKC, case-folded and stripped; never raises (for lookups and limiter keys)."""
    folded = unicodedata.normalize("NFKC", value).strip().casefold()
    return unicodedata.normalize("NFKC", folded)


def _script(char: str) -> str:
    name = unicodedata.name(char, "UNKNOWN")
    first = name.split(" ", 1)[0]
    return "CJK" if first in _EAST_ASIAN else first


def normalize_email(value: str) -> str:
    """The canonical form of an address a user registers with.

    Raises:
        ValueError: Not an address, too long, or its local part mixes scripts.
    """
    email = canonical_email(value)
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(email):
        raise ValueError("not a valid email address")
    local = email.rsplit("@", 1)[0]
    scripts = {_script(char) for char in local if char.isalpha()}
    if len(scripts) > 1:
        raise ValueError("the part before @ mixes letters of different scripts")
    return email
