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
parameters (besides ``self``) are ordinary FastAPI parameters. The caller is
``self.actor`` (a :class:`~fastmvc.security.Principal`, or ``None`` on a
public route).

Access is data: a controller declares its policies (``read_policy`` and
``write_policy`` on a :class:`CRUDController`, ``policy`` on a plain
:class:`Controller`, or ``policy=`` on one route) and every route enforces
them through one dependency built from :func:`fastmvc.access.authorize`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import inspect as sa_inspect
from starlette.responses import Response

from fastmvc.access import Access, Grant, Policy, authorize, is_admin, owner_scope
from fastmvc.context import get_request_id
from fastmvc.dependencies import (
    LoneWriteSessionDep,
    ReadSessionDep,
    SessionDep,
    get_lone_write_session,
    get_read_session,
)
from fastmvc.dto import Envelope, Page
from fastmvc.errors import ForbiddenError, UnauthorizedError
from fastmvc.lean_route import LEAN_PLAN, LeanPlan, LeanRoute
from fastmvc.openapi import error_responses, sort_example, sort_pattern
from fastmvc.openapi_clients import filter_parameters
from fastmvc.repository.filters import parse_filters
from fastmvc.repository.page import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from fastmvc.repository.relations import parse_include, relations_of
from fastmvc.responses import EnvelopeTemplate, envelope_response
from fastmvc.security.dependencies import bearer_scheme, require_user
from fastmvc.security.tokens import Principal
from fastmvc.service import CRUDService
from fastmvc.state import get_runtime
from fastmvc.typemap import JSON_SAFE_RANGE

__all__ = [
    "CRUDController",
    "Controller",
    "ControllerRouter",
    "delete",
    "envelope",
    "get",
    "patch",
    "post",
    "put",
    "route",
]

F = TypeVar("F", bound=Callable[..., Any])
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_ROUTE_ATTR = "__fastmvc_route__"
RESERVED_QUERY = frozenset(
    {"limit", "cursor", "offset", "sort", "with_total", "include", "deleted"}
)
MAX_ID = JSON_SAFE_RANGE[1]  # ids past 2**53 would be rounded by JSON clients

ERROR_RESPONSES = error_responses(400, 401, 404, 409, 413, 422, 429, 500, 503)
"""Statuses any controller route may send (the CRUD routes declare their own, narrower)."""


FORBIDDEN_RESPONSE = error_responses(403)
"""Added to the routes an ``admin`` policy guards."""


def policy_responses(policy: Policy) -> dict[int | str, dict[str, Any]]:
    """What ``policy`` itself can answer: 401 without a token, 403 without the admin role."""
    if policy is Policy.PUBLIC:
        return {}
    if policy is Policy.ADMIN:
        return error_responses(401, 403)
    return error_responses(401)


_GRANTS: dict[Policy, Callable[..., Any]] = {}
_REQUIRE_USER: Any = Depends(require_user)


def grant_dependency(policy: Policy | str) -> Callable[..., Any]:
    """The FastAPI dependency that enforces ``policy`` and returns the :class:`Grant`.

    ``public`` reads no token at all; the others need a valid Bearer token
    (401 otherwise), and ``admin`` the ``admin`` role (403 otherwise).
    """
    policy = Policy(policy)
    dependency = _GRANTS.get(policy)
    if dependency is not None:
        return dependency
    if policy is Policy.PUBLIC:

        async def public_grant() -> Grant:
            return Grant(actor=None)

        dependency = public_grant
    else:

        async def signed_in_grant(principal: Principal = _REQUIRE_USER) -> Grant:
            return authorize(policy, principal)

        dependency = signed_in_grant
    _GRANTS[policy] = dependency
    return dependency


async def resolve_grant(policy: Policy, request: Request) -> Grant:
    """What :func:`grant_dependency`'s dependency gives, called directly (the lean CRUD routes).

    Raises:
        UnauthorizedError: The policy needs a valid Bearer token.
        ForbiddenError: ``admin`` policy and the caller is not an admin.
    """
    if policy is Policy.PUBLIC:
        return Grant(actor=None)
    principal = await require_user(request, await bearer_scheme(request))
    return authorize(policy, principal)


def route(method: str, path: str, **options: Any) -> Callable[[F], F]:
    """Mark a controller method as a route; ``options`` go to ``APIRouter.add_api_route``.

    ``policy=`` (a :class:`~fastmvc.access.Policy`) overrides the controller's for this route.
    """

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


_GRANT_PARAMETER = "fastmvc_grant_"


def _bind_method(
    cls: type[Controller], func: Callable[..., Any], policy: Policy
) -> Callable[..., Any]:
    """Make an endpoint that builds a fresh controller per request and calls ``func``.

    The controller gets the caller as ``actor`` (and the whole ``grant``)
    from the policy's dependency, which runs before the method.
    """
    signature = inspect.signature(func, eval_str=True)
    parameters = list(signature.parameters.values())[1:]
    grant = inspect.Parameter(
        _GRANT_PARAMETER,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[Grant, Depends(grant_dependency(policy))],
    )
    variadic = [p for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
    parameters = [p for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD]
    parameters = [*parameters, grant, *variadic]

    async def endpoint(*args: Any, **kwargs: Any) -> Any:
        granted: Grant = kwargs.pop(_GRANT_PARAMETER)
        controller = cls()
        controller.grant = granted
        controller.actor = granted.actor
        return await func(controller, *args, **kwargs)

    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = func.__name__
    endpoint.__doc__ = func.__doc__
    return endpoint


class ControllerRouter(APIRouter):
    """The router :meth:`Controller.as_router` builds; it remembers its controller.

    The admin (:mod:`fastmvc.admin`) reads it to find each entity's service and DTOs.
    """

    controller: type[Controller] | None = None


class Controller:
    """Base of class-based controllers.

    Class attributes:
        prefix: URL prefix of every route.
        tags: OpenAPI tags.
        dependencies: Dependencies applied to every route.
        policy: Who may call the routes (a :class:`~fastmvc.access.Policy`).
            By default ``user``: a Bearer token is needed unless the
            controller says otherwise. ``owner`` behaves as ``user`` here;
            a custom route scopes rows itself through its service.
        public: Shorthand for ``policy = Policy.PUBLIC``.

    Instance attributes (per request):
        actor: The caller's :class:`~fastmvc.security.Principal`, or ``None``.
        grant: The :class:`~fastmvc.access.Grant` the policy gave.
    """

    prefix: ClassVar[str] = ""
    tags: ClassVar[Sequence[str]] = ()
    dependencies: ClassVar[Sequence[Any]] = ()
    policy: ClassVar[Policy | str | None] = None
    public: ClassVar[bool] = False

    actor: Principal | None = None
    grant: Grant = Grant(actor=None)

    @classmethod
    def route_policy(cls, method: str) -> Policy:
        """The policy of a custom route answering ``method``."""
        if cls.policy is not None:
            return Policy(cls.policy)
        return Policy.PUBLIC if cls.public else Policy.USER

    @classmethod
    def as_router(cls) -> APIRouter:
        """Build the router with every decorated method of the class."""
        router = ControllerRouter(
            prefix=cls.prefix,
            tags=list(cls.tags) or None,
            dependencies=list(cls.dependencies),
            responses=cls.router_responses(),
        )
        router.controller = cls
        for name in dir(cls):
            func = getattr(cls, name, None)
            spec = getattr(func, _ROUTE_ATTR, None)
            if func is None or spec is None:
                continue
            method, path, options = spec
            options = dict(options)
            policy = Policy(options.pop("policy", None) or cls.route_policy(method))
            if policy is Policy.ADMIN:
                options["responses"] = {**FORBIDDEN_RESPONSE, **options.get("responses", {})}
            endpoint = _bind_method(cls, func, policy)
            router.add_api_route(path, endpoint, methods=[method], **options)
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
DeletedQuery = Annotated[
    Literal["only"] | None,
    Query(description="`only`: list soft-deleted rows instead of live ones (admins only)."),
]


async def _require_admin(request: Request, grant: Grant) -> None:
    """Refuse anyone but an admin (``?deleted=only``), reading the token even on a public route.

    Raises:
        UnauthorizedError: A public route's caller sent no valid Bearer token.
        ForbiddenError: The caller is not an admin.
    """
    actor = grant.actor
    if actor is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError()
        actor = await get_runtime(request).tokens.verify_access(token.strip())
    if not is_admin(actor):
        raise ForbiddenError("Only admins may list deleted rows")


def _include_query(names: Sequence[str]) -> Any:
    """The ``include`` query parameter, its values spelled out for OpenAPI.

    No pattern: an unknown relation is the framework's 400, as for filters.
    """
    allowed = ", ".join(f"`{name}`" for name in sorted(names)) or "none"
    return Annotated[
        str | None,
        Query(
            max_length=256,
            description=f"Comma-separated relations to embed: {allowed}.",
            examples=[",".join(sorted(names))] if names else None,
        ),
    ]


def _with_query(func: Callable[..., Any], replace: dict[str, Any], drop: set[str]) -> Any:
    """Give ``func``'s query parameters their per-entity annotations; drop the ones it lacks."""
    signature = inspect.signature(func, eval_str=True)
    parameters = [
        parameter.replace(annotation=replace[parameter.name])
        if parameter.name in replace
        else parameter
        for parameter in signature.parameters.values()
        if parameter.name not in drop
    ]
    func.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return func


class CRUDController(Controller):
    """The ``/products``-style routes of ARCHITECTURE.md for one service.

    ``GET /``, ``POST /``, ``GET /{id}``, ``PATCH /{id}`` and ``DELETE /{id}``.

    ``read_policy`` guards ``GET``; ``write_policy`` guards ``POST``, ``PATCH``
    and ``DELETE``. Both default to ``user``; ``public = True`` is short for
    ``read_policy = Policy.PUBLIC`` (writes still need a token). Under
    ``owner``, the service gets the caller's row scope: lists show only the
    caller's rows, another user's row answers 404, admins see every row.

    For a soft-delete model there are also ``POST /{id}/restore`` (write
    policy) and ``GET /?deleted=only`` (admins only). The reads take
    ``?include=`` with the model's relationships (see
    :mod:`fastmvc.repository.relations`).
    """

    read_policy: ClassVar[Policy | str | None] = None
    write_policy: ClassVar[Policy | str] = Policy.USER
    resource: ClassVar[str] = "item"
    service_class: ClassVar[type[CRUDService[Any, Any]]]
    create_schema: ClassVar[type[BaseModel]]
    update_schema: ClassVar[type[BaseModel]]
    out_schema: ClassVar[type[BaseModel]]

    @classmethod
    def router_responses(cls) -> dict[int | str, dict[str, Any]]:
        """What any CRUD route may answer; each route adds its own (404, 409…)."""
        # 400: a body that is not JSON at all (FastAPI cannot even parse it).
        # 401 and 403 come per route, from its policy.
        return error_responses(400, 413, 422, 429, 500, 503)

    @classmethod
    def access(cls) -> Access:
        """The controller's read and write policies.

        Raises:
            ValueError: ``write_policy`` is ``public``.
        """
        read = cls.read_policy or (Policy.PUBLIC if cls.public else Policy.USER)
        return Access(read=Policy(read), write=Policy(cls.write_policy))

    @classmethod
    def route_policy(cls, method: str) -> Policy:
        """Custom routes here: reads follow ``read_policy``, the rest ``write_policy``."""
        if cls.policy is not None:
            return Policy(cls.policy)
        access = cls.access()
        return access.read if method in _READ_METHODS else access.write

    @classmethod
    def add_routes(cls, router: APIRouter) -> None:
        """Add the five CRUD routes."""
        access = cls.access()
        # Defaults, not Annotated aliases: this module's annotations are strings,
        # and FastAPI resolves them against the module, where locals are unknown.
        read_grant: Any = Depends(grant_dependency(access.read))
        write_grant: Any = Depends(grant_dependency(access.write))
        read_responses = policy_responses(access.read)
        write_responses = policy_responses(access.write)
        resource = cls.resource
        model = cls.service_class.repository_class.model
        title = resource.replace("_", " ").capitalize()
        out = cls.out_schema
        page_type = Page[out]  # type: ignore[valid-type]
        item_envelope = Envelope[out]  # type: ignore[valid-type]
        page_envelope = Envelope[page_type]
        empty_envelope = Envelope[None]
        service_class = cls.service_class
        model = service_class.repository_class.model
        relations = relations_of(model)
        soft_delete = "deleted_at" in sa_inspect(model).columns
        # Without soft delete, ``deleted`` is no parameter: it falls to the filters (400).
        reserved = RESERVED_QUERY if soft_delete else RESERVED_QUERY - {"deleted"}
        # Everything that does not change between requests is built here, once.
        validate_out = out.model_validate
        # Included relations are set only when asked for; the others stay out of the JSON.
        out_json = functools.partial(
            out.__pydantic_serializer__.to_json, exclude_unset=bool(relations)
        )
        page_json = functools.partial(
            page_type.__pydantic_serializer__.to_json, exclude_unset=bool(relations)
        )
        templates = {
            verb: EnvelopeTemplate(f"{title} {verb}", f"success_{resource}_{verb}")
            for verb in ("list", "created", "found", "updated", "deleted", "restored")
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

        def service(session: Any, grant: Grant) -> CRUDService[Any, Any]:
            return service_class(session, actor=grant.actor, scope=owner_scope(grant))

        async def list_items(
            request: Request,
            session: ReadSessionDep,
            grant: Grant = read_grant,
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
            include: str | None = None,
            deleted: DeletedQuery = None,
        ) -> Response:
            if deleted == "only":
                await _require_admin(request, grant)
            filters = [
                (key, value)
                for key, value in request.query_params.multi_items()
                if key not in reserved
            ]
            page = await service(session, grant).read_page(
                PageRequest(
                    where=parse_filters(filters) if filters else None,
                    sort=sort,
                    limit=limit,
                    cursor=cursor,
                    offset=offset,
                    with_total=with_total == "true",
                    only_deleted=deleted == "only",
                    include=parse_include(model, include),
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

        async def create_item(
            payload: Any, session: LoneWriteSessionDep, grant: Grant = write_grant
        ) -> Response:
            writer = service(session, grant)
            instance = await writer.create(payload.model_dump())
            return item_response(await writer.output(instance), "created", 201)

        async def get_item(
            id: IdPath,
            session: ReadSessionDep,
            grant: Grant = read_grant,
            include: str | None = None,
        ) -> Response:
            row = await service(session, grant).read(id, parse_include(model, include))
            return item_response(row, "found")

        async def update_item(
            id: IdPath, payload: Any, session: LoneWriteSessionDep, grant: Grant = write_grant
        ) -> Response:
            data = payload.model_dump(exclude_unset=True)
            expected = data.pop("version", None)
            writer = service(session, grant)
            instance = await writer.update(id, data, expected_version=expected)
            return item_response(await writer.output(instance), "updated")

        async def restore_item(
            id: IdPath, session: SessionDep, grant: Grant = write_grant
        ) -> Response:
            writer = service(session, grant)
            instance = await writer.restore(id)
            return item_response(await writer.output(instance), "restored")

        include_query = {"include": _include_query(list(relations))}
        _with_query(list_items, include_query, set() if soft_delete else {"deleted"})
        _with_query(get_item, include_query, set())

        async def delete_item(
            id: IdPath, session: LoneWriteSessionDep, grant: Grant = write_grant
        ) -> Response:
            await service(session, grant).delete(id)
            return envelope_response(templates["deleted"].render(b"null"))

        # The same handlers, without FastAPI solving their dependencies per
        # request (see fastmvc.lean_route): the session comes from the
        # Database, the grant from the policy, called directly.
        read_needs = (get_read_session, grant_dependency(access.read))
        write_needs = (get_lone_write_session, grant_dependency(access.write))

        async def lean_list(request: Request, values: dict[str, Any]) -> Response:
            grant = await resolve_grant(access.read, request)
            async with get_runtime(request).database.read_session() as session:
                return await list_items(request, session=session, grant=grant, **values)

        async def lean_get(request: Request, values: dict[str, Any]) -> Response:
            grant = await resolve_grant(access.read, request)
            async with get_runtime(request).database.read_session() as session:
                return await get_item(session=session, grant=grant, **values)

        def lean_write(handler: Callable[..., Any]) -> LeanPlan:
            async def run(request: Request, values: dict[str, Any]) -> Response:
                grant = await resolve_grant(access.write, request)
                database = get_runtime(request).database
                async with database.unit_of_work(lone_write=True) as session:
                    response: Response = await handler(session=session, grant=grant, **values)
                return response

            return LeanPlan(run, write_needs)

        setattr(list_items, LEAN_PLAN, LeanPlan(lean_list, read_needs))
        setattr(get_item, LEAN_PLAN, LeanPlan(lean_get, read_needs))
        for writer_handler in (create_item, update_item, delete_item):
            setattr(writer_handler, LEAN_PLAN, lean_write(writer_handler))

        for handler in (list_items, create_item, get_item, update_item, delete_item, restore_item):
            # `fastmvc routes` and tracebacks name the controller, not this factory.
            handler.__module__ = cls.__module__
            handler.__qualname__ = f"{cls.__qualname__}.{handler.__name__}"
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
            route_class_override=LeanRoute,
            response_model=page_envelope,
            name=f"{resource}_list",
            responses={
                **error_responses(400, *((401, 403) if soft_delete else ())),
                **read_responses,
            },
            summary=f"List {resource} rows",
            description=filter_help,
            openapi_extra={"parameters": filter_parameters(service_class.repository_class.model)},
        )
        router.add_api_route(
            "",
            _with_body(create_item, cls.create_schema),
            methods=["POST"],
            route_class_override=LeanRoute,
            status_code=201,
            response_model=item_envelope,
            name=f"{resource}_create",
            responses={**error_responses(409), **write_responses},
            summary=f"Create a {resource}",
        )
        router.add_api_route(
            "/{id}",
            get_item,
            methods=["GET"],
            route_class_override=LeanRoute,
            response_model=item_envelope,
            name=f"{resource}_get",
            responses={**error_responses(404), **read_responses},
            summary=f"Get a {resource}",
        )
        router.add_api_route(
            "/{id}",
            _with_body(update_item, cls.update_schema),
            methods=["PATCH"],
            route_class_override=LeanRoute,
            response_model=item_envelope,
            name=f"{resource}_update",
            responses={**error_responses(404, 409), **write_responses},
            summary=f"Update a {resource} (send `version` for optimistic locking)",
        )
        router.add_api_route(
            "/{id}",
            delete_item,
            methods=["DELETE"],
            route_class_override=LeanRoute,
            response_model=empty_envelope,
            name=f"{resource}_delete",
            responses={**error_responses(404, 409), **write_responses},
            summary=f"Delete a {resource}",
        )
        if soft_delete:
            router.add_api_route(
                "/{id}/restore",
                restore_item,
                methods=["POST"],
                response_model=item_envelope,
                name=f"{resource}_restore",
                responses={**error_responses(404, 409), **write_responses},
                summary=f"Restore a soft-deleted {resource}",
            )
