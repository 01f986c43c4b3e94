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

import copy
import email.message
import types
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import fastapi.routing
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.routing import APIRoute
from pydantic import BaseModel
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


_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)


@dataclass(frozen=True, slots=True)
class _Param:
    """One path or query parameter, read as FastAPI reads it, with the analysis done once."""

    name: str
    alias: str
    loc: tuple[str, str]
    required: bool
    default: Any
    validate_default: bool
    field: Any

    def read(self, received: Mapping[str, Any], values: dict[str, Any]) -> bool:
        """Put the validated value into ``values``; ``False`` when FastAPI would refuse it."""
        raw = received.get(self.alias)
        if raw is None:
            if self.required:
                return False
            default = self.default
            if not isinstance(default, _IMMUTABLE):
                default = copy.deepcopy(default)
            if not self.validate_default:
                values[self.name] = default
                return True
            raw = default
        value, errors = self.field.validate(raw, values, loc=self.loc)
        if errors:
            return False
        values[self.name] = value
        return True


def _scalar(annotation: Any) -> bool:
    """Whether a parameter's type is one value (not a list, a model or anything fancier)."""
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if origin in (Union, types.UnionType):
        return all(_scalar(arg) for arg in get_args(annotation))
    if origin is not None or not isinstance(annotation, type):
        return False
    if annotation in (str, bytes, type(None)):
        return True
    return not issubclass(annotation, BaseModel | Collection)


def _compile(fields: Sequence[Any]) -> tuple[_Param, ...] | None:
    """The parameters' readers, or ``None`` when one is beyond the simple case.

    ``request_params_to_args`` re-inspects each field's annotation on every
    request; for plain scalar parameters with one name that work can be done
    here once. Lists, parameter models and validation aliases keep FastAPI's
    function.
    """
    compiled = []
    for field in fields:
        info = field.field_info
        annotation = info.annotation
        if info.validation_alias is not None or not _scalar(annotation):
            return None
        compiled.append(
            _Param(
                name=field.name,
                alias=field.alias,
                loc=(info.in_.value, field.alias),
                required=info.is_required(),
                default=field.default,
                validate_default=bool(info.validate_default),
                field=field,
            )
        )
    return tuple(compiled)


def _reader(fields: Sequence[Any]) -> Callable[[Mapping[str, Any], dict[str, Any]], bool]:
    """A function that reads ``fields`` into a dict, ``False`` on anything FastAPI would refuse."""
    compiled = _compile(fields)
    if compiled is None:

        def generic(received: Mapping[str, Any], values: dict[str, Any]) -> bool:
            found, errors = request_params_to_args(fields, received)
            values.update(found)
            return not errors

        return generic

    def read(received: Mapping[str, Any], values: dict[str, Any]) -> bool:
        return all(param.read(received, values) for param in compiled)

    return read


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    if content_type == "application/json":
        return True
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
        read_path = _reader(dependant.path_params)
        read_query = _reader(dependant.query_params)
        body_field = route.body_field
        embed = bool(getattr(route, "_embed_body_fields", True))
        if body_field is not None and embed:
            return standard
        overrides = route.dependency_overrides_provider
        handler = plan.handler

        async def handle(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await standard(request)
            values: dict[str, Any] = {}
            if not read_path(request.path_params, values) or not read_query(
                request.query_params, values
            ):
                return await standard(request)
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
