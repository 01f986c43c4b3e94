"""The admin of user accounts: flags editable, the password hash never shown or editable.

Accounts are made with ``POST /auth/register`` or ``fastmvc users create``
(which hash the password), so the admin creates none. An edit goes through
:class:`~fastmvc.auth.AuthService`: switching ``is_active`` off ends every
session of the user at once, exactly as ``fastmvc users deactivate`` does,
and so does taking ``is_superuser`` away (the tokens carry the admin role).
The edit carries the row's ``version`` like every admin form.
"""

from __future__ import annotations

import types
from typing import Any

from sqladmin import ModelView
from starlette.requests import Request
from wtforms import HiddenField

from fastmvc.admin.views import _primary_key, _version, stale_hint
from fastmvc.errors import NotFoundError
from fastmvc.state import Runtime, get_runtime

__all__ = ["UserView", "user_view"]

_FLAGS = ("is_active", "is_superuser", "is_verified")


class UserView(ModelView):
    """Users: listed, searched by email, flags edited; never created, deleted or exported."""

    name = "User"
    name_plural = "Users"
    icon = "fa-solid fa-user"
    can_create = False
    can_delete = False
    can_export = False
    can_import = False
    page_size = 25
    page_size_options = [25, 50, 100]
    column_list = ["id", "email", *_FLAGS, "created_at"]
    column_details_list = ["id", "urn", "email", *_FLAGS, "created_at", "updated_at", "version"]
    column_searchable_list = ["email"]
    column_sortable_list = ["id", "email", *_FLAGS, "created_at"]
    column_default_sort = [("id", True)]
    form_columns = [*_FLAGS, "version"]
    form_overrides = {"version": HiddenField}

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Set the flags; deactivating or demoting ends every session of the user."""
        runtime = get_runtime(request)
        expected = _version(data.get("version"))
        flags = {name: bool(data[name]) for name in _FLAGS if name in data}
        with stale_hint():
            return await self._save(runtime, pk, flags, expected)

    async def _save(
        self, runtime: Runtime, pk: str, flags: dict[str, bool], expected: int | None
    ) -> Any:
        from fastmvc.auth import AuthService

        async with runtime.database.unit_of_work() as session:
            service: AuthService[Any] = AuthService(
                session,
                user_model=self.model,
                passwords=runtime.passwords,
                tokens=runtime.tokens,
            )
            user = await service.users.get(_primary_key(pk))
            if user is None:
                raise NotFoundError(f"No user {pk}")
            demoted = user.is_superuser and not flags.get("is_superuser", True)
            deactivated = user.is_active and not flags.get("is_active", True)
            updated = await service.users.update(user.id, flags, expected_version=expected)
            if deactivated or demoted:
                await service.revoke_sessions(updated)
            return updated


def user_view(user_model: type[Any]) -> type[UserView]:
    """The admin view of the app's ``User`` model."""
    return types.new_class(f"{user_model.__name__}Admin", (UserView,), {"model": user_model})
