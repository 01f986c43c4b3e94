"""Relations over HTTP: ``?include=``, many-to-many id sets, soft-delete restore and live uniqueness.

Runs on SQLite and on PostgreSQL. The query count of an included list is
counted at the driver (every statement the engine sends), so an N+1 would
fail it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import Field
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from fastmvc.app import create_app
from fastmvc.controller import CRUDController
from fastmvc.db import Database
from fastmvc.dto import DTO, OutDTO
from fastmvc.repository import Repository
from fastmvc.service import CRUDService
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES, bind_app_to_connection, rollback_session
from tests.models import Article, Label, Widget


class WidgetRepository(Repository[Widget]):
    model = Widget


class LabelRepository(Repository[Label]):
    model = Label


class ArticleRepository(Repository[Article]):
    model = Article


class WidgetService(CRUDService[Widget, WidgetRepository]):
    repository_class = WidgetRepository


class LabelService(CRUDService[Label, LabelRepository]):
    repository_class = LabelRepository


class ArticleService(CRUDService[Article, ArticleRepository]):
    repository_class = ArticleRepository


class WidgetIn(DTO):
    name: str = Field(max_length=100)
    price: Decimal = Field(max_digits=12, decimal_places=2)


class WidgetOut(OutDTO):
    id: int
    name: str


class LabelIn(DTO):
    name: str = Field(max_length=50)


class LabelOut(OutDTO):
    id: int
    name: str


class ArticleIn(DTO):
    title: str = Field(max_length=100)
    widget_id: int
    parent_id: int | None = None
    label_ids: list[int] = Field(default_factory=list, max_length=100)


class ArticleUpdate(DTO):
    title: str | None = Field(default=None, max_length=100)
    label_ids: list[int] | None = Field(default=None, max_length=100)
    version: int | None = None


class ArticleOut(OutDTO):
    id: int
    title: str
    widget_id: int
    parent_id: int | None
    # Unset (so left out) on nested rows, which carry no relations of their own.
    label_ids: list[int] = Field(default_factory=list)
    version: int
    widget: WidgetOut | None = None
    parent: ArticleOut | None = None
    labels: list[LabelOut] | None = None


class WidgetController(CRUDController):
    prefix = "/widgets"
    resource = "widget"
    public = True
    service_class = WidgetService
    create_schema = WidgetIn
    update_schema = WidgetIn
    out_schema = WidgetOut


class LabelController(CRUDController):
    prefix = "/labels"
    resource = "label"
    public = True
    service_class = LabelService
    create_schema = LabelIn
    update_schema = LabelIn
    out_schema = LabelOut


class ArticleController(CRUDController):
    prefix = "/articles"
    resource = "article"
    public = True
    service_class = ArticleService
    create_schema = ArticleIn
    update_schema = ArticleUpdate
    out_schema = ArticleOut


@pytest.fixture
async def connection(database: Database) -> AsyncIterator[AsyncConnection]:
    async with rollback_session(database) as (connection, _session):
        yield connection


@pytest.fixture
async def client(
    database: Database, connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database.url.render_as_string(hide_password=False), **TEST_OVERRIDES
    )  # type: ignore[arg-type]
    application: FastAPI = create_app(
        settings,
        routers=[
            WidgetController.as_router(),
            LabelController.as_router(),
            ArticleController.as_router(),
        ],
    )
    bind_app_to_connection(application, connection)
    transport = httpx.ASGITransport(app=application)
    tokens = application.state.fastmvc.tokens
    # Reads are public here; writes and ?deleted=only need a token (an admin's).
    admin = tokens.issue(1, claims={"roles": ["admin"]}).access_token
    user = tokens.issue(2, claims={"roles": []}).access_token
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        http.headers["Authorization"] = f"Bearer {admin}"
        http.headers["X-Test-User-Token"] = user
        yield http
    await application.state.fastmvc.aclose()


@contextmanager
def counted(connection: AsyncConnection) -> Iterator[list[str]]:
    """Every SQL statement sent on ``connection`` while the block runs (savepoints aside)."""
    statements: list[str] = []
    engine = connection.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "SAVEPOINT" not in statement.upper():
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def seeded(client: httpx.AsyncClient) -> dict[str, Any]:
    """Two widgets, three labels and 25 articles, each with two labels."""
    widgets = []
    for n in range(2):
        response = await client.post("/widgets", json={"name": f"w{n}", "price": "1.00"})
        assert response.status_code == 201, response.text
        widgets.append(response.json()["data"]["id"])
    labels = []
    for name in ("red", "green", "blue"):
        response = await client.post("/labels", json={"name": name})
        assert response.status_code == 201, response.text
        labels.append(response.json()["data"]["id"])
    articles = []
    for n in range(25):
        body = {"title": f"a{n}", "widget_id": widgets[n % 2], "label_ids": labels[n % 2 :][:2]}
        response = await client.post("/articles", json=body)
        assert response.status_code == 201, response.text
        articles.append(response.json()["data"])
    return {"widgets": widgets, "labels": labels, "articles": articles}


async def test_ids_are_in_every_answer(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    red, green, _blue = seeded["labels"]
    first = seeded["articles"][0]
    assert first["label_ids"] == [red, green]
    assert "widget" not in first and "labels" not in first
    got = (await client.get(f"/articles/{first['id']}")).json()["data"]
    assert got == first


async def test_include_embeds_typed_rows_in_few_queries(
    client: httpx.AsyncClient, seeded: dict[str, Any], connection: AsyncConnection
) -> None:
    with counted(connection) as statements:
        response = await client.get("/articles", params={"include": "widget,labels", "limit": 20})
    assert response.status_code == 200, response.text
    items = response.json()["data"]["items"]
    assert len(items) == 20
    # The page, the widgets of all 20 rows, the labels of all 20 rows: no N+1.
    assert len(statements) == 3, statements
    widget_names = {w: f"w{n}" for n, w in enumerate(seeded["widgets"])}
    for item in items:
        assert item["widget"] == {"id": item["widget_id"], "name": widget_names[item["widget_id"]]}
        assert [label["id"] for label in item["labels"]] == item["label_ids"]
        assert set(item["labels"][0]) == {"id", "name"}
        assert "parent" not in item


async def test_list_without_include_costs_one_query_per_many_relation(
    client: httpx.AsyncClient, seeded: dict[str, Any], connection: AsyncConnection
) -> None:
    with counted(connection) as statements:
        response = await client.get("/articles", params={"limit": 20})
    assert response.status_code == 200
    assert len(statements) == 2, statements  # the page and the label ids


async def test_get_includes_a_self_reference(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    parent = seeded["articles"][0]
    body = {"title": "child", "widget_id": parent["widget_id"], "parent_id": parent["id"]}
    child = (await client.post("/articles", json=body)).json()["data"]
    response = await client.get(f"/articles/{child['id']}", params={"include": "parent"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["parent"]["id"] == parent["id"]
    assert data["parent"]["title"] == parent["title"]
    assert "label_ids" not in data["parent"]  # nested rows carry no relations of their own
    orphan = await client.get(f"/articles/{parent['id']}", params={"include": "parent"})
    assert orphan.json()["data"]["parent"] is None


async def test_unknown_include_is_400(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    for url in ("/articles", f"/articles/{seeded['articles'][0]['id']}"):
        response = await client.get(url, params={"include": "widget,nope"})
        assert response.status_code == 400, response.text
        assert response.json()["responseKey"] == "error_unknown_include"
    from fastmvc.errors import BadRequestError
    from fastmvc.repository.relations import parse_include

    with pytest.raises(BadRequestError):
        parse_include(Article, "widget,nope")
    assert parse_include(Article, "labels,widget,labels") == ("labels", "widget")


async def test_label_ids_are_replaced_as_a_set(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    red, _green, blue = seeded["labels"]
    article = seeded["articles"][0]
    url = f"/articles/{article['id']}"
    response = await client.patch(url, json={"label_ids": [blue, red, blue]})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["label_ids"] == sorted([red, blue])
    assert (await client.get(url)).json()["data"]["label_ids"] == sorted([red, blue])
    cleared = await client.patch(url, json={"label_ids": []})
    assert cleared.json()["data"]["label_ids"] == []
    untouched = await client.patch(url, json={"title": "renamed"})
    assert untouched.json()["data"]["label_ids"] == []


async def test_unknown_ids_are_422_and_change_nothing(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    red = seeded["labels"][0]
    article = seeded["articles"][0]
    url = f"/articles/{article['id']}"
    response = await client.patch(url, json={"label_ids": [red, 987654321]})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["field"] == "label_ids"
    assert (await client.get(url)).json()["data"] == article
    body = {"title": "x", "widget_id": seeded["widgets"][0], "label_ids": [987654321]}
    assert (await client.post("/articles", json=body)).status_code == 422
    missing_widget = {"title": "y", "widget_id": 987654321}
    assert (await client.post("/articles", json=missing_widget)).status_code == 422


async def test_deleting_a_label_unlinks_it(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    red, green, _blue = seeded["labels"]
    assert (await client.delete(f"/labels/{red}")).status_code == 200
    article = seeded["articles"][0]
    got = (await client.get(f"/articles/{article['id']}")).json()["data"]
    assert got["label_ids"] == [green]


async def test_deleting_a_referenced_row_is_409(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    widget = seeded["widgets"][0]
    response = await client.delete(f"/widgets/{widget}")
    assert response.status_code == 409, response.text
    assert response.json()["responseKey"] == "error_still_referenced"
    assert (await client.get(f"/widgets/{widget}")).status_code == 200
    spare = await client.post("/widgets", json={"name": "spare", "price": "1.00"})
    assert (await client.delete(f"/widgets/{spare.json()['data']['id']}")).status_code == 200


async def test_restore_and_deleted_only(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    article = seeded["articles"][3]
    url = f"/articles/{article['id']}"
    assert (await client.post(f"{url}/restore")).status_code == 404  # not deleted
    assert (await client.delete(url)).status_code == 200
    assert (await client.get(url)).status_code == 404
    deleted = await client.get("/articles", params={"deleted": "only"})
    assert [item["id"] for item in deleted.json()["data"]["items"]] == [article["id"]]
    user = {"Authorization": f"Bearer {client.headers['X-Test-User-Token']}"}
    refused = await client.get("/articles", params={"deleted": "only"}, headers=user)
    assert refused.status_code == 403, refused.text
    restored = await client.post(f"{url}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["responseKey"] == "success_article_restored"
    assert restored.json()["data"]["version"] == article["version"] + 2
    assert restored.json()["data"]["label_ids"] == article["label_ids"]
    assert (await client.get(url)).status_code == 200
    assert (await client.get("/articles", params={"deleted": "only"})).json()["data"]["items"] == []
    assert (await client.get("/labels", params={"deleted": "only"})).status_code == 400


async def test_unique_counts_live_rows_only(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    first = seeded["articles"][0]
    again = {"title": first["title"], "widget_id": first["widget_id"]}
    assert (await client.post("/articles", json=again)).status_code == 409
    assert (await client.delete(f"/articles/{first['id']}")).status_code == 200
    replacement = await client.post("/articles", json=again)
    assert replacement.status_code == 201, replacement.text
    # The old row cannot come back while a live row holds its title.
    restore = await client.post(f"/articles/{first['id']}/restore")
    assert restore.status_code == 409, restore.text


async def test_openapi_types_the_includes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    out = schema["components"]["schemas"]["ArticleOut"]["properties"]
    assert out["label_ids"]["items"]["type"] == "integer"
    refs = str(out["widget"]) + str(out["labels"]) + str(out["parent"])
    assert "WidgetOut" in refs and "LabelOut" in refs and "ArticleOut" in refs
    parameters = schema["paths"]["/articles"]["get"]["parameters"]
    include = next(p for p in parameters if p["name"] == "include")
    assert "`labels`, `parent`, `widget`" in include["description"]
    assert any(p["name"] == "deleted" for p in parameters)
    label_parameters = schema["paths"]["/labels"]["get"]["parameters"]
    assert not any(p["name"] == "deleted" for p in label_parameters)
    assert "post" in schema["paths"]["/articles/{id}/restore"]
    assert "/labels/{id}/restore" not in schema["paths"]


async def test_a_same_set_changes_nothing_and_a_new_one_moves_the_version(
    client: httpx.AsyncClient, seeded: dict[str, Any]
) -> None:
    red, green, blue = seeded["labels"]
    article = seeded["articles"][0]
    url = f"/articles/{article['id']}"
    same = await client.patch(url, json={"label_ids": [green, red]})
    assert same.json()["data"]["version"] == article["version"]
    kept = await client.patch(url, json={"label_ids": None})
    assert kept.json()["data"]["label_ids"] == [red, green]
    moved = await client.patch(url, json={"label_ids": [blue], "version": article["version"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["version"] == article["version"] + 1
    stale = await client.patch(url, json={"label_ids": [red], "version": article["version"]})
    assert stale.status_code == 409
    assert (await client.get(url)).json()["data"]["label_ids"] == [blue]
