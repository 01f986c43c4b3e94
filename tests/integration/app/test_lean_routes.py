"""The CRUD routes answer without FastAPI's dependency resolution, and fall back to it.

``solve_dependencies`` is FastAPI's per-request dependency solver; a spy on it
tells which path a request took. The lean path must give the same answers;
bad input, dependency overrides and extra router dependencies must take
FastAPI's path and behave exactly as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import Depends, FastAPI

from fastmvc.controller import Controller, envelope, get
from fastmvc.dependencies import ReadSessionDep, get_read_session
from fastmvc.errors import ForbiddenError
from tests.integration.app.test_crud_http import PrivateWidgetController, WidgetController

EXTRA_CALLS: list[str] = []


def count_extra() -> None:
    EXTRA_CALLS.append("called")


class GuardedWidgetController(WidgetController):
    """A router-level dependency: FastAPI's path must run it on every CRUD route."""

    prefix = "/guarded-widgets"
    resource = "guarded_widget"
    dependencies = (Depends(count_extra),)


class CustomController(Controller):
    prefix = "/custom"
    public = True

    @get("/count")
    async def count(self, session: ReadSessionDep) -> Any:
        return envelope(self.actor is None, message="ok", key="ok")


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every request FastAPI solved dependencies for."""
    calls: list[str] = []
    original = fastapi.routing.solve_dependencies

    async def spy(*, request: Any, **kwargs: Any) -> Any:
        calls.append(f"{request.method} {request.url.path}")
        return await original(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", spy)
    return calls


@pytest.fixture
def controllers() -> tuple[type[Controller], ...]:
    return (WidgetController, PrivateWidgetController, GuardedWidgetController, CustomController)


async def test_every_crud_verb_answers_without_solving_dependencies(
    client: httpx.AsyncClient, solved: list[str]
) -> None:
    created = await client.post("/widgets", json={"name": "lean", "price": "2.50"})
    assert created.status_code == 201, created.text
    widget_id = created.json()["data"]["id"]
    got = await client.get(f"/widgets/{widget_id}")
    assert got.json()["data"] == created.json()["data"]
    listed = await client.get("/widgets", params={"name": "lean", "limit": "5"})
    assert [item["id"] for item in listed.json()["data"]["items"]] == [widget_id]
    patched = await client.patch(f"/widgets/{widget_id}", json={"stock": 4, "version": 1})
    assert patched.json()["data"]["version"] == 2
    assert (await client.delete(f"/widgets/{widget_id}")).status_code == 200
    assert (await client.get(f"/widgets/{widget_id}")).status_code == 404
    assert solved == []

    # A custom route keeps FastAPI's dependencies.
    assert (await client.get("/custom/count")).status_code == 200
    assert solved == ["GET /custom/count"]


async def test_policies_hold_on_the_lean_path(client: httpx.AsyncClient, solved: list[str]) -> None:
    anonymous = {"Authorization": ""}
    refused = await client.get("/private-widgets/1", headers=anonymous)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert (await client.post("/widgets", json={"name": "x", "price": "1"}, headers=anonymous)
            ).status_code == 401  # fmt: skip
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await client.get("/private-widgets", headers=bad)).status_code == 401
    assert solved == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/widgets/0", None),
        ("GET", "/widgets/abc", None),
        ("GET", "/widgets?limit=1000", None),
        ("POST", "/widgets", {"name": "", "price": "1"}),
        ("PATCH", "/widgets/1", {"stock": -1}),
        ("DELETE", "/widgets/99999999999999999999", None),
    ],
)
async def test_bad_input_takes_fastapis_path_and_gets_its_422(
    client: httpx.AsyncClient, solved: list[str], method: str, path: str, body: Any
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["responseKey"] == "error_validation"
    assert solved == [f"{method} {path.split('?')[0]}"]


async def test_a_body_that_is_not_json_gets_fastapis_answer(
    client: httpx.AsyncClient, solved: list[str]
) -> None:
    # FastAPI refuses it while reading the body, before any dependency.
    response = await client.post(
        "/widgets", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert [error["type"] for error in response.json()["errors"]] == ["json_invalid"]
    as_text = await client.post("/widgets", content=b"{}", headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 422, as_text.text
    assert solved == ["POST /widgets"]


async def test_router_dependencies_and_overrides_still_run(
    app: FastAPI, client: httpx.AsyncClient, solved: list[str]
) -> None:
    EXTRA_CALLS.clear()
    assert (await client.get("/guarded-widgets")).status_code == 200
    assert (
        await client.post("/guarded-widgets", json={"name": "g", "price": "1"})
    ).status_code == 201
    assert EXTRA_CALLS == ["called", "called"]

    async def refuse() -> AsyncIterator[Any]:
        raise ForbiddenError("overridden")
        yield  # pragma: no cover

    app.dependency_overrides[get_read_session] = refuse
    try:
        overridden = await client.get("/widgets")
    finally:
        app.dependency_overrides.clear()
    assert overridden.status_code == 403
    assert (await client.get("/widgets")).status_code == 200
    assert solved == ["GET /guarded-widgets", "POST /guarded-widgets", "GET /widgets"]
