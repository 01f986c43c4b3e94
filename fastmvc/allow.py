"""The ``Allow`` header of a 405: every method the path serves, not just one route's.

FastAPI makes one route per method, and Starlette answers a method it does
not serve with the ``Allow`` of the first route whose path matched: ``OPTIONS
/products`` said ``Allow: GET`` although ``POST`` works too. This walks every
route of the app for the request's path instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.routing import Match

__all__ = ["allowed_methods"]


def _leaves(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, looking inside included routers.

    FastAPI 0.16x keeps an included router as one node whose routes come from
    ``effective_candidates()``; older versions flatten them into ``app.routes``.
    """
    for route in routes:
        nested = getattr(route, "effective_candidates", None)
        if callable(nested):
            yield from _leaves(nested())
        else:
            yield route


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path, sorted."""
    methods: set[str] = set()
    scope = dict(request.scope)
    for route in _leaves(getattr(request.app, "routes", [])):
        route_methods = getattr(route, "methods", None)
        matches = getattr(route, "matches", None)
        if not route_methods or not callable(matches):
            continue
        match, _child = matches(scope)
        if match is not Match.NONE:
            methods |= set(route_methods)
    return sorted(methods)
