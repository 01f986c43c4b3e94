"""operationIds a client generator can name functions after; the list route's filters declared."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fastmvc import DTO, CRUDController, CRUDService, OutDTO, Repository
from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.settings import Settings
from tests.integration.auth.auth_helpers import AuthTestUser
from tests.models import Widget


class _Repository(Repository[Widget]):
    model = Widget


class _Service(CRUDService[Widget, _Repository]):
    repository_class = _Repository


class _Create(DTO):
    name: str
    price: Decimal


class _Out(OutDTO):
    id: int
    name: str


class _Controller(CRUDController):
    prefix = "/widgets"
    resource = "widget"
    service_class = _Service
    create_schema = _Create
    update_schema = _Create
    out_schema = _Out


def _document() -> dict[str, Any]:
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:")
    routers = [*auth_routers(AuthTestUser), _Controller.as_router()]
    return create_app(settings, routers=routers, setup_logging=False).openapi()


def test_every_operation_id_is_the_readable_route_name() -> None:
    operations = {
        f"{method.upper()} {path}": operation["operationId"]
        for path, item in _document()["paths"].items()
        for method, operation in item.items()
    }
    assert operations == {
        "GET /health/live": "health_live",
        "GET /health/ready": "health_ready",
        "POST /auth/register": "auth_register",
        "POST /auth/login": "auth_login",
        "POST /auth/refresh": "auth_refresh",
        "POST /auth/logout": "auth_logout",
        "POST /auth/password": "auth_password_change",
        "POST /auth/password/forgot": "auth_password_forgot",
        "POST /auth/password/reset": "auth_password_reset",
        "POST /auth/verify": "auth_verify",
        "GET /users/me": "users_me",
        "GET /widgets": "widget_list",
        "POST /widgets": "widget_create",
        "GET /widgets/{id}": "widget_get",
        "PATCH /widgets/{id}": "widget_update",
        "DELETE /widgets/{id}": "widget_delete",
    }
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", value) for value in operations.values())


def test_the_list_route_declares_each_filter_the_server_accepts() -> None:
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in _document()["paths"]["/widgets"]["get"]["parameters"]
    }
    # The paging parameters stay, once each.
    assert {"limit", "cursor", "offset", "sort", "with_total"} <= set(parameters)
    assert parameters["name"] == {"type": "string"}
    assert parameters["name__ilike"] == {"type": "string"}
    assert parameters["stock__gte"]["type"] == "integer"
    assert parameters["stock__in"] == {"type": "string"}  # comma-separated
    assert parameters["colour__is_null"] == {"type": "boolean"}
    assert parameters["created_at__lt"] == {"type": "string", "format": "date-time"}
    assert "stock__like" not in parameters  # like/ilike only on text
    assert "price__ilike" not in parameters
