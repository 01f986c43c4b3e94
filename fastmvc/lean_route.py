"""``LeanRoute``: a route that answers without FastAPI's per-request dependency resolution.

FastAPI solves a route's dependency tree on every request: the session
generator and its exit stacks, the policy's grant, the Bearer scheme under
it. On ``GET /products/{id}`` that was a fifth of the CPU. The CRUD routes
know their dependencies in advance, so they run them directly instead:

- the path, query and body values are still validated by FastAPI's own
  functions, from the route's own fields, so they get exactly the values
  FastAPI would give;
- anything out of the ordinary (a value that fails validation, a body that is
  not JSON, dependency overrides on the app, a dependency the route does not
  know, such as one added by ``include_router``) hands the request to the
  ordinary FastAPI handler, so errors and overrides behave exactly as before;
- the OpenAPI document is built from the same route, so nothing in it changes.

An endpoint opts in by carrying a :class:`LeanPlan` under :data:`LEAN_PLAN`.
"""

from __future__ import annotations

import email.message
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["LEAN_PLAN", "LeanPlan", "LeanRoute"]

LEAN_PLAN = "__fastmvc_lean__"
"""Attribute of an endpoint that holds its :class:`LeanPlan`."""

LeanHandler = Callable[[Request, dict[str, Any]], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class LeanPlan:
    """How to answer a route without solving its dependencies.

    Attributes:
        handler: Called with the request and the validated parameter values
            (by parameter name); it opens the session and checks the policy
            itself.
        dependencies: The dependency callables the handler stands in for. A
            route with any other dependency keeps FastAPI's handler.
    """

    handler: LeanHandler
    dependencies: Collection[Callable[..., Any]]


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class LeanRoute(APIRoute):
    """An :class:`~fastapi.routing.APIRoute` that takes its endpoint's lean plan when it can."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        standard = super().get_route_handler()
        plan: LeanPlan | None = getattr(self.endpoint, LEAN_PLAN, None)
        if plan is None:
            return standard
        # FastAPI builds included routes' handlers under a context that merges
        # the router's dependencies; read the same one it just used.
        context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
        context = context_var.get() if context_var is not None else None
        route: Any = (
            context if context is not None and getattr(context, "original_route", None) is self
            else self
        )  # fmt: skip
        dependant = route.dependant
        if any(sub.call not in plan.dependencies for sub in dependant.dependencies):
            return standard
        path_fields = dependant.path_params
        query_fields = dependant.query_params
        body_field = route.body_field
        embed = bool(getattr(route, "_embed_body_fields", True))
        if body_field is not None and embed:
            return standard
        overrides = route.dependency_overrides_provider
        handler = plan.handler

        async def handle(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await standard(request)
            values, errors = request_params_to_args(path_fields, request.path_params)
            if errors:
                return await standard(request)
            if query_fields:
                query, errors = request_params_to_args(query_fields, request.query_params)
                if errors:
                    return await standard(request)
                values.update(query)
            if body_field is not None:
                if not _is_json(request.headers.get("content-type")):
                    return await standard(request)
                try:
                    payload = await request.json()
                except ValueError:
                    return await standard(request)
                body, errors = await request_body_to_args([body_field], payload, False)
                if errors:
                    return await standard(request)
                values.update(body)
            return await handler(request, values)

        return handle
