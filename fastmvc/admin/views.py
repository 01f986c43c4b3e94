"""One admin view per CRUD controller, writing through the controller's own service.

Writes never go around the entity's rules: a create or an edit is checked by
the controller's create or update DTO (:mod:`fastmvc.admin.validation`) and
saved by its service in one unit of work, so the service's hooks run, an
edit carries the ``version`` the form was opened with and a stale one is
refused with the service's 409 message shown on the form (optimistic
locking), and a delete is soft on a soft-delete model. Deleted rows are
listed apart (``?deleted=only``) and each has a restore button.

Lists are paginated, searchable on the string columns and sortable on every
column but JSON ones.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel
from sqladmin import ModelView, expose
from sqlalchemy import JSON, Select, String, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import HiddenField

from fastmvc.admin.validation import validated
from fastmvc.errors import BadRequestError, ConflictError, NotFoundError
from fastmvc.state import get_runtime

if TYPE_CHECKING:
    from fastmvc.controller import CRUDController
    from fastmvc.service import CRUDService

__all__ = ["SYSTEM_COLUMNS", "EntityView", "entity_view", "stale_hint"]

SYSTEM_COLUMNS = frozenset({"id", "urn", "created_at", "updated_at", "version", "deleted_at"})
"""Columns the framework sets; a form never edits them (``version`` rides hidden)."""

DELETED_PARAM = "deleted"


class EntityView(ModelView):
    """The admin of one entity; :func:`entity_view` makes one per controller."""

    service_class: ClassVar[type[CRUDService[Any, Any]]]
    create_schema: ClassVar[type[BaseModel]]
    update_schema: ClassVar[type[BaseModel]]
    soft_delete: ClassVar[bool] = False

    page_size = 25
    page_size_options = [25, 50, 100]
    can_export = False
    can_import = False
    form_overrides = {"version": HiddenField}
    # Foreign-key columns (author_id, owner_id) are plain id fields, as in the API.
    form_include_pk = True
    list_template = "fastmvc_admin/list.html"
    details_template = "fastmvc_admin/details.html"

    # -- reads -----------------------------------------------------------------

    def list_query(self, request: Request) -> Select[Any]:
        """Live rows, or only the soft-deleted ones with ``?deleted=only``."""
        statement: Select[Any] = select(self.model)
        if self.soft_delete:
            deleted_at = getattr(self.model, "deleted_at")  # noqa: B009
            if request.query_params.get(DELETED_PARAM) == "only":
                return statement.where(deleted_at.is_not(None))
            return statement.where(deleted_at.is_(None))
        return statement

    async def list_context(self, request: Request) -> dict[str, Any]:
        """Tell the list template which rows it shows."""
        return {"showing_deleted": request.query_params.get(DELETED_PARAM) == "only"}

    # -- writes ----------------------------------------------------------------

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Create through the service, after the create DTO."""
        values = validated(self.create_schema, data)
        if "owner_id" in data:
            # An admin creates rows for any user; the API takes the owner from the caller.
            values["owner_id"] = data["owner_id"]
        async with get_runtime(request).database.unit_of_work() as session:
            created = await self.service_class(session).create(values)
            return await _entity(session, self.model, created)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Update through the service, refusing a stale ``version`` (optimistic locking)."""
        values = dict(data)
        expected = _version(values.pop("version", None))
        changes = validated(self.update_schema, values, partial=True)
        with stale_hint():
            async with get_runtime(request).database.unit_of_work() as session:
                updated = await self.service_class(session).update(
                    _primary_key(pk), changes, expected_version=expected
                )
                return await _entity(session, self.model, updated)

    async def delete_model(self, request: Request, pk: Any) -> None:
        """Delete through the service: soft on a soft-delete model."""
        async with get_runtime(request).database.unit_of_work() as session:
            await self.service_class(session).delete(_primary_key(pk))

    @expose("/restore/{pk}", methods=["POST"])
    async def restore(self, request: Request) -> Response:
        """``POST /admin/<entity>/restore/<pk>``: bring a soft-deleted row back."""
        if not self.soft_delete:
            raise HTTPException(status_code=404)
        pk = request.path_params["pk"]
        try:
            async with get_runtime(request).database.unit_of_work() as session:
                await self.service_class(session).restore(_primary_key(pk))
        except NotFoundError as exc:
            raise HTTPException(status_code=404, detail=exc.message) from None
        url = request.url_for("admin:details", identity=self.identity, pk=pk)
        return RedirectResponse(url, status_code=302)


@contextmanager
def stale_hint() -> Iterator[None]:
    """Tell the admin what to do about a stale edit: the form they hold is out of date."""
    try:
        yield
    except ConflictError as exc:
        if exc.response_key != "error_stale_version":
            raise
        raise ConflictError(
            f"{exc.message}. Nothing was saved: reload the page to see the current values.",
            response_key=exc.response_key,
        ) from None


async def _entity(session: AsyncSession, model: type[Any], row: Mapping[str, Any]) -> Any:
    """The mapped object of a row a service wrote: sqladmin inspects what a write returns.

    The services write without the ORM and return plain records; this reads the
    row back in the same transaction, so the admin shows what was committed.
    """
    return await session.get(model, row["id"], populate_existing=True)


def _primary_key(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFoundError(f"No row {value!r}") from None


def _version(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequestError("The form's version is not a number; reload the page") from None


def entity_view(controller: type[CRUDController]) -> type[EntityView]:
    """The admin view of ``controller``'s entity.

    Args:
        controller: A :class:`~fastmvc.controller.CRUDController` subclass; its
            service, create and update DTOs and model drive the view.
    """
    service_class = controller.service_class
    model = service_class.repository_class.model
    columns = list(sa_inspect(model).columns)
    names = [column.key for column in columns]
    searchable = [c.key for c in columns if isinstance(c.type, String) and c.key != "urn"]
    sortable = [c.key for c in columns if not isinstance(c.type, JSON)]
    editable = [name for name in names if name not in SYSTEM_COLUMNS]
    plural = str(controller.tags[0]) if controller.tags else f"{model.__name__}s"
    attrs: dict[str, Any] = {
        "service_class": service_class,
        "create_schema": controller.create_schema,
        "update_schema": controller.update_schema,
        "soft_delete": "deleted_at" in names,
        "name": model.__name__,
        "name_plural": plural[:1].upper() + plural[1:],
        "column_list": [name for name in names if name not in ("urn", "deleted_at")],
        "column_searchable_list": searchable,
        "column_sortable_list": sortable,
        "column_default_sort": [("id", True)],
        "form_columns": [*editable, "version"],
        "icon": "fa-solid fa-table",
    }
    return types.new_class(
        f"{model.__name__}Admin",
        (EntityView,),
        {"model": model},
        lambda namespace: namespace.update(attrs),
    )
