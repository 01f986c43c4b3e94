"""The CRUD router over HTTP: envelopes, status codes, headers, and no 500 for bad input."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from pydantic import Field

from fastmvc.app import create_app
from fastmvc.controller import Controller, CRUDController
from fastmvc.dto import DTO, OutDTO
from fastmvc.repository import Repository
from fastmvc.service import CRUDService
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES
from tests.models import Widget


class WidgetRepository(Repository[Widget]):
    model = Widget


class WidgetService(CRUDService[Widget, WidgetRepository]):
    repository_class = WidgetRepository


class WidgetCreate(DTO):
    name: str = Field(min_length=1, max_length=100)
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    stock: int = Field(default=0, ge=0, le=2**31 - 1)
    colour: str | None = Field(default=None, max_length=20)


class WidgetUpdate(DTO):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    price: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    stock: int | None = Field(default=None, ge=0, le=2**31 - 1)
    version: int | None = None


class WidgetOut(OutDTO):
    id: int
    urn: str
    name: str
    price: Decimal
    stock: int
    colour: str | None
    version: int


class WidgetController(CRUDController):
    prefix = "/widgets"
    resource = "widget"
    public = True
    service_class = WidgetService
    create_schema = WidgetCreate
    update_schema = WidgetUpdate
    out_schema = WidgetOut


class PrivateWidgetController(WidgetController):
    prefix = "/private-widgets"
    resource = "private_widget"
    public = False


@pytest.fixture
def controllers() -> tuple[type[Controller], ...]:
    return (WidgetController, PrivateWidgetController)


def assert_failed(response: httpx.Response, status: int, key: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "FAILED"
    assert body["data"] is None
    assert body["transactionUrn"] == response.headers["X-Request-ID"]
    assert set(body) >= {"transactionUrn", "status", "responseMessage", "responseKey", "data"}
    if key is not None:
        assert body["responseKey"] == key
    return body


async def test_crud_round_trip(client: httpx.AsyncClient) -> None:
    created = await client.post("/widgets", json={"name": "chair", "price": "12.50", "stock": 3})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "SUCCESS"
    assert body["responseKey"] == "success_widget_created"
    assert body["transactionUrn"] == created.headers["X-Request-ID"]
    widget = body["data"]
    assert widget["name"] == "chair" and Decimal(widget["price"]) == Decimal("12.50")
    assert widget["version"] == 1

    got = await client.get(f"/widgets/{widget['id']}")
    assert got.status_code == 200 and got.json()["data"]["urn"] == widget["urn"]

    patched = await client.patch(f"/widgets/{widget['id']}", json={"stock": 4, "version": 1})
    assert patched.status_code == 200 and patched.json()["data"]["version"] == 2

    stale = await client.patch(f"/widgets/{widget['id']}", json={"stock": 5, "version": 1})
    assert_failed(stale, 409, "error_stale_version")
    assert (await client.get(f"/widgets/{widget['id']}")).json()["data"]["stock"] == 4

    deleted = await client.delete(f"/widgets/{widget['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"] is None
    assert_failed(await client.get(f"/widgets/{widget['id']}"), 404, "error_not_found")


async def test_list_filters_sort_cursor_total(client: httpx.AsyncClient) -> None:
    for i in range(25):
        response = await client.post(
            "/widgets", json={"name": f"w{i:02d}", "price": str(i % 5), "stock": i}
        )
        assert response.status_code == 201
    first = await client.get(
        "/widgets",
        params={"price__gte": "2", "sort": "-price,name", "limit": 10, "with_total": "true"},
    )
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert data["total"] == 15
    assert len(data["items"]) == 10
    assert [Decimal(item["price"]) for item in data["items"]][:5] == [Decimal(4)] * 5
    second = await client.get(
        "/widgets",
        params={
            "price__gte": "2",
            "sort": "-price,name",
            "limit": 10,
            "cursor": data["next_cursor"],
        },
    )
    more = second.json()["data"]
    assert "total" not in more
    assert len(more["items"]) == 5 and more["next_cursor"] is None
    ids = {item["id"] for item in data["items"]} | {item["id"] for item in more["items"]}
    assert len(ids) == 15
    offset = await client.get("/widgets", params={"offset": 20, "limit": 10, "sort": "name"})
    assert [item["name"] for item in offset.json()["data"]["items"]] == [
        f"w{i}" for i in range(20, 25)
    ]
    inlist = await client.get("/widgets", params={"stock__in": "1,2,3", "name__ilike": "W0"})
    assert sorted(item["stock"] for item in inlist.json()["data"]["items"]) == [1, 2, 3]


async def test_duplicate_is_409_and_leaves_nothing(client: httpx.AsyncClient) -> None:
    assert (await client.post("/widgets", json={"name": "dup", "price": "1"})).status_code == 201
    assert_failed(await client.post("/widgets", json={"name": "dup", "price": "2"}), 409)
    listing = await client.get("/widgets", params={"name": "dup"})
    assert len(listing.json()["data"]["items"]) == 1


async def test_unknown_filter_field_is_400(client: httpx.AsyncClient) -> None:
    body = assert_failed(await client.get("/widgets", params={"secret__eq": "x"}), 400)
    assert "secret" in body["responseMessage"]


async def test_validation_is_422_with_field_errors(client: httpx.AsyncClient) -> None:
    body = assert_failed(
        await client.post("/widgets", json={"name": "", "price": "-1", "extra": 1}),
        422,
        "error_validation",
    )
    fields = {error["field"] for error in body["errors"]}
    assert {"name", "price", "extra"} <= fields
    assert all(set(error) == {"field", "message", "type"} for error in body["errors"])


async def test_public_entity_still_needs_a_token_to_write(client: httpx.AsyncClient) -> None:
    client.headers.pop("Authorization")
    assert (await client.get("/widgets")).status_code == 200
    body = {"name": "chair", "price": "1.00"}
    assert_failed(await client.post("/widgets", json=body), 401, "error_unauthorized")
    assert_failed(await client.delete("/widgets/1"), 401, "error_unauthorized")


async def test_private_routes_need_a_token(client: httpx.AsyncClient) -> None:
    client.headers.pop("Authorization")
    response = await client.get("/private-widgets")
    assert_failed(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_client_request_id_is_kept_only_when_safe(client: httpx.AsyncClient) -> None:
    kept = await client.get("/widgets/999", headers={"X-Request-ID": "abc-123_x.y"})
    assert kept.headers["X-Request-ID"] == "abc-123_x.y" == kept.json()["transactionUrn"]
    replaced = await client.get("/widgets/999", headers={"X-Request-ID": "bad id<script>"})
    assert replaced.headers["X-Request-ID"] != "bad id<script>"
    assert len(replaced.headers["X-Request-ID"]) == 26


MALFORMED = [
    {"limit": "abc"},
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "-5"},
    {"limit": "1e309"},
    {"offset": "-1"},
    {"offset": "99999999999999999999999"},
    {"cursor": "%%%"},
    {"cursor": "eyJ2IjpbIngiLCJ5Il19"},
    {"cursor": "x", "offset": "3"},
    {"sort": "-"},
    {"sort": ",,,"},
    {"sort": "nope"},
    {"sort": "price,price"},
    {"sort": "a,b,c,d,e,f"},
    {"with_total": "maybe"},
    {"price__gte": "abc"},
    {"price__gte": "NaN"},
    {"price__gte": "Infinity"},
    {"price": "1e999999"},
    {"stock__between": "1"},
    {"stock__between": "1,2,3"},
    {"stock__in": ""},
    {"stock": "99999999999999999999999999"},
    {"stock__in": ",".join(["1"] * 500)},
    {"colour__is_null": "perhaps"},
    {"price__regex": "."},
    {"__": "x"},
    {"name__": "x"},
    {"__eq": "x"},
    {"id__gt": "x"},
    {"created_at__gte": "yesterday"},
    {"created_at__gte": "2024-13-45"},
    {"name__like": "\x00"},
    {"name": "\x00"},
    {"urn__in": "a,\x00"},
]


@pytest.mark.parametrize("params", MALFORMED)
async def test_no_500_for_malformed_query(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/widgets", params=params)
    assert response.status_code < 500, (params, response.text)
    assert response.json()["transactionUrn"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "path", ["/widgets/abc", "/widgets/0", "/widgets/99999999999999999999", "/widgets/-1"]
)
async def test_no_500_for_malformed_ids(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert 400 <= response.status_code < 500


async def test_openapi_shows_concrete_envelope_and_bearer(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    names = set(schema["components"]["schemas"])
    assert "Envelope_WidgetOut_" in names
    assert any(name.startswith("Envelope_Page_WidgetOut") for name in names)
    assert "ErrorEnvelope" in names
    assert any(
        scheme.get("scheme", "").lower() == "bearer"
        for scheme in schema["components"].get("securitySchemes", {}).values()
    )


async def test_health_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json()["data"] == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["data"]["database"] == "ok"


async def test_ready_is_503_when_database_is_down() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none",
        **TEST_OVERRIDES,  # type: ignore[arg-type]
    )
    application = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://t"
    ) as http:
        response = await http.get("/health/ready")
    assert_failed(response, 503, "error_service_unavailable")
    await application.state.fastmvc.aclose()
