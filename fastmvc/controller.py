"""Class-based controllers and the CRUD router.

Controllers turn HTTP into service calls and results into envelopes. A fresh
controller instance serves each request, so nothing per-request is ever kept
on a shared object::

    class ProductController(CRUDController):
        prefix = "/products"
        resource = "product"
        service_class = ProductService
        create_schema = ProductCreate
        update_schema = ProductUpdate
        out_schema = ProductOut

    router = ProductController.as_router()

Custom routes are methods decorated with :func:`get`, :func:`post`, …; their
parameters (besides ``self``) are ordinary FastAPI parameters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from fastmvc.context import get_request_id
from fastmvc.dependencies import ReadSessionDep, SessionDep
from fastmvc.dto import Envelope, Page
from fastmvc.openapi import error_responses, sort_example, sort_pattern
from fastmvc.openapi_clients import filter_parameters
from fastmvc.repository.filters import parse_filters
from fastmvc.repository.page import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from fastmvc.responses import EnvelopeTemplate, envelope_response
from fastmvc.service import CRUDService
from fastmvc.typemap import JSON_SAFE_RANGE

__all__ = [
    "CRUDController",
    "Controller",
    "delete",
    "envelope",
    "get",
    "patch",
    "post",
    "put",
    "route",
]

F = TypeVar("F", bound=Callable[..., Any])

_ROUTE_ATTR = "__fastmvc_route__"
RESERVED_QUERY = frozenset({"limit", "cursor", "offset", "sort", "with_total"})
MAX_ID = JSON_SAFE_RANGE[1]  # ids past 2**53 would be rounded by JSON clients

ERROR_RESPONSES = error_responses(400, 401, 404, 409, 413, 422, 429, 500, 503)
"""Statuses any controller route may send (the CRUD routes declare their own, narrower)."""


def route(method: str, path: str, **options: Any) -> Callable[[F], F]:
    """Mark a controller method as a route; ``options`` go to ``APIRouter.add_api_route``."""

    def mark(func: F) -> F:
        setattr(func, _ROUTE_ATTR, (method.upper(), path, options))
        return func

    return mark


def get(path: str, **options: Any) -> Callable[[F], F]:
    """A ``GET`` route."""
    return route("GET", path, **options)


def post(path: str, **options: Any) -> Callable[[F], F]:
    """A ``POST`` route."""
    return route("POST", path, **options)


def put(path: str, **options: Any) -> Callable[[F], F]:
    """A ``PUT`` route."""
    return route("PUT", path, **options)


def patch(path: str, **options: Any) -> Callable[[F], F]:
    """A ``PATCH`` route."""
    return route("PATCH", path, **options)


def delete(path: str, **options: Any) -> Callable[[F], F]:
    """A ``DELETE`` route."""
    return route("DELETE", path, **options)


def envelope(
    data: Any,
    *,
    message: str,
    key: str,
    status_code: int = 200,
    model: type[BaseModel] | None = None,
) -> Response:
    """Answer ``data`` in the success envelope.

    Args:
        data: A pydantic model, a list of them, a plain JSON value or ``None``.
        message: ``responseMessage``.
        key: ``responseKey``.
        status_code: HTTP status.
        model: The concrete ``Envelope[...]`` type to serialize with (faster
            and exact); defaults to ``Envelope[Any]``.
    """
    envelope_type = model or Envelope[Any]
    body = envelope_type(
        transactionUrn=get_request_id(), responseMessage=message, responseKey=key, data=data
    )
    return envelope_response(body.model_dump_json().encode(), status_code=status_code)


def _bind_method(cls: type[Controller], func: Callable[..., Any]) -> Callable[..., Any]:
    """Make an endpoint that builds a fresh controller per request and calls ``func``."""
    signature = inspect.signature(func, eval_str=True)
    parameters = list(signature.parameters.values())[1:]

    async def endpoint(*args: Any, **kwargs: Any) -> Any:
        return await func(cls(), *args, **kwargs)

    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = func.__name__
    endpoint.__doc__ = func.__doc__
    return endpoint


class Controller:
    """Base of class-based controllers.

    Class attributes:
        prefix: URL prefix of every route.
        tags: OpenAPI tags.
        dependencies: Dependencies applied to every route (e.g. ``Depends(require_user)``).
        public: When false, every route requires a Bearer token.
    """

    prefix: ClassVar[str] = ""
    tags: ClassVar[Sequence[str]] = ()
    dependencies: ClassVar[Sequence[Any]] = ()
    public: ClassVar[bool] = True

    @classmethod
    def _router_dependencies(cls) -> list[Any]:
        dependencies = list(cls.dependencies)
        if not cls.public:
            from fastmvc.security import require_user

            dependencies.append(Depends(require_user))
        return dependencies

    @classmethod
    def as_router(cls) -> APIRouter:
        """Build the router with every decorated method of the class."""
        router = APIRouter(
            prefix=cls.prefix,
            tags=list(cls.tags) or None,
            dependencies=cls._router_dependencies(),
            responses=cls.router_responses(),
        )
        for name in dir(cls):
            func = getattr(cls, name, None)
            spec = getattr(func, _ROUTE_ATTR, None)
            if func is None or spec is None:
                continue
            method, path, options = spec
            router.add_api_route(path, _bind_method(cls, func), methods=[method], **options)
        cls.add_routes(router)
        return router

    @classmethod
    def add_routes(cls, router: APIRouter) -> None:
        """Hook for subclasses that build routes programmatically."""

    @classmethod
    def router_responses(cls) -> dict[int | str, dict[str, Any]]:
        """The error statuses every route of this controller declares in OpenAPI."""
        return ERROR_RESPONSES


def _with_body(func: Callable[..., Any], schema: type[BaseModel]) -> Callable[..., Any]:
    """Give ``func``'s ``payload`` parameter the concrete request schema."""
    signature = inspect.signature(func, eval_str=True)
    parameters = [
        parameter.replace(annotation=Annotated[schema, Body()])
        if parameter.name == "payload"
        else parameter
        for parameter in signature.parameters.values()
    ]
    func.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return func


IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Primary key")]


class CRUDController(Controller):
    """The ``/products``-style routes of ARCHITECTURE.md for one service.

    ``GET /``, ``POST /``, ``GET /{id}``, ``PATCH /{id}`` and ``DELETE /{id}``.
    Entities are private by default: set ``public = True`` to serve them
    without a Bearer token.
    """

    public: ClassVar[bool] = False
    resource: ClassVar[str] = "item"
    service_class: ClassVar[type[CRUDService[Any, Any]]]
    create_schema: ClassVar[type[BaseModel]]
    update_schema: ClassVar[type[BaseModel]]
    out_schema: ClassVar[type[BaseModel]]

    @classmethod
    def router_responses(cls) -> dict[int | str, dict[str, Any]]:
        """What any CRUD route may answer; each route adds its own (404, 409…)."""
        # 400: a body that is not JSON at all (FastAPI cannot even parse it).
        common = (400, 413, 422, 429, 500, 503)
        return error_responses(*common) if cls.public else error_responses(401, *common)

    @classmethod
    def add_routes(cls, router: APIRouter) -> None:
        """Add the five CRUD routes."""
        resource = cls.resource
        model = cls.service_class.repository_class.model
        title = resource.replace("_", " ").capitalize()
        out = cls.out_schema
        page_type = Page[out]  # type: ignore[valid-type]
        item_envelope = Envelope[out]  # type: ignore[valid-type]
        page_envelope = Envelope[page_type]
        empty_envelope = Envelope[None]
        service_class = cls.service_class
        # Everything that does not change between requests is built here, once.
        validate_out = out.model_validate
        out_json = out.__pydantic_serializer__.to_json
        page_json = page_type.__pydantic_serializer__.to_json
        templates = {
            verb: EnvelopeTemplate(f"{title} {verb}", f"success_{resource}_{verb}")
            for verb in ("list", "created", "found", "updated", "deleted")
        }

        def item_response(instance: Any, verb: str, status_code: int = 200) -> Response:
            body = templates[verb].render(out_json(validate_out(instance)))
            return envelope_response(body, status_code=status_code)

        sort_query: Any = Query(
            None,
            max_length=256,
            pattern=sort_pattern(model),
            examples=[sort_example(model)],
            description="Comma-separated fields, `-` for descending, each at most once.",
        )

        async def list_items(
            request: Request,
            session: ReadSessionDep,
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
            cursor: Annotated[
                str | None,
                Query(max_length=2048, description="`next_cursor` of a page. Not with `offset`."),
            ] = None,
            offset: Annotated[
                int | None,
                Query(ge=0, le=MAX_ID, description="Rows to skip. Not with `cursor`."),
            ] = None,
            # A default, not an Annotated: annotations are strings here and
            # cannot see this function's locals.
            sort: str | None = sort_query,
            with_total: Annotated[
                Literal["true", "false"], Query(description="Add `total` to the page.")
            ] = "false",
        ) -> Response:
            filters = [
                (key, value)
                for key, value in request.query_params.multi_items()
                if key not in RESERVED_QUERY
            ]
            page = await service_class(session).read_page(
                PageRequest(
                    where=parse_filters(filters) if filters else None,
                    sort=sort,
                    limit=limit,
                    cursor=cursor,
                    offset=offset,
                    with_total=with_total == "true",
                )
            )
            data = page_type(
                items=[validate_out(item) for item in page.items],
                next_cursor=page.next_cursor,
                prev_cursor=page.prev_cursor,
                total=page.total,
            )
            data_json = page_json(data, exclude=None if with_total == "true" else {"total"})
            return envelope_response(templates["list"].render(data_json))

        async def create_item(payload: Any, session: SessionDep) -> Response:
            instance = await service_class(session).create(payload.model_dump())
            return item_response(instance, "created", 201)

        async def get_item(id: IdPath, session: ReadSessionDep) -> Response:
            return item_response(await service_class(session).read(id), "found")

        async def update_item(id: IdPath, payload: Any, session: SessionDep) -> Response:
            data = payload.model_dump(exclude_unset=True)
            expected = data.pop("version", None)
            instance = await service_class(session).update(id, data, expected_version=expected)
            return item_response(instance, "updated")

        async def delete_item(id: IdPath, session: SessionDep) -> Response:
            await service_class(session).delete(id)
            return envelope_response(templates["deleted"].render(b"null"))

        filter_help = (
            "Filters: `field=value` or `field__op=value` with op one of eq ne gt gte lt lte "
            "like ilike in not_in is_null between (comma-separated values for in and between). "
            "`like` and `ilike` apply to text fields only; `json` fields take no filter and "
            "no sort. `cursor` and `offset` exclude each other: sending both gives 400."
        )
        router.add_api_route(
            "",
            list_items,
            methods=["GET"],
            response_model=page_envelope,
            name=f"{resource}_list",
            responses=error_responses(400),
            summary=f"List {resource} rows",
            description=filter_help,
            openapi_extra={"parameters": filter_parameters(service_class.repository_class.model)},
        )
        router.add_api_route(
            "",
            _with_body(create_item, cls.create_schema),
            methods=["POST"],
            status_code=201,
            response_model=item_envelope,
            name=f"{resource}_create",
            responses=error_responses(409),
            summary=f"Create a {resource}",
        )
        router.add_api_route(
            "/{id}",
            get_item,
            methods=["GET"],
            response_model=item_envelope,
            name=f"{resource}_get",
            responses=error_responses(404),
            summary=f"Get a {resource}",
        )
        router.add_api_route(
            "/{id}",
            _with_body(update_item, cls.update_schema),
            methods=["PATCH"],
            response_model=item_envelope,
            name=f"{resource}_update",
            responses=error_responses(404, 409),
            summary=f"Update a {resource} (send `version` for optimistic locking)",
        )
        router.add_api_route(
            "/{id}",
            delete_item,
            methods=["DELETE"],
            response_model=empty_envelope,
            name=f"{resource}_delete",
            responses=error_responses(404, 409),
            summary=f"Delete a {resource}",
        )
