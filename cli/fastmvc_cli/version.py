"""The installed FastMVC version."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["distribution_version"]


def distribution_version() -> str:
    """The version of the ``pyfastmvc`` distribution, or ``0+unknown`` in a bare checkout."""
    try:
        return version("pyfastmvc")
    except PackageNotFoundError:
        return "0+unknown"
