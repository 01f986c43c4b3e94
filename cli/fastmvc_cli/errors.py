"""The one error type the CLI shows to its user.

Commands raise :class:`UserError` for anything the user can fix: a bad name, a
missing project, a database that cannot be reached. ``main()`` is the only
place that catches it; it prints one ``Error: …`` line to stderr and exits 2.
Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["USER_ERROR_EXIT_CODE", "UserError"]

USER_ERROR_EXIT_CODE = 2


class UserError(Exception):
    """A problem the user can fix; its message is one line, shown as is."""

    def __init__(self, message: str) -> None:
        # The message is printed on one line, so fold any newline a caller let in.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self)
