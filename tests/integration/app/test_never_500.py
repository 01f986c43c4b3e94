"""Regression tests for issue 10: each bad input of its first list, on SQLite and PostgreSQL.

Every test runs twice through the ``database`` fixture (SQLite, then a
throwaway PostgreSQL database) and asserts the status, the ``responseKey``
and what a later GET shows.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fastmvc.app import create_app
from fastmvc.controller import Controller
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES
from tests.integration.app.never500_app import HolderController, SampleController, sample_payload
from tests.support.signed_in import bearer


@pytest.fixture
def controllers() -> tuple[type[Controller], ...]:
    return (HolderController, SampleController)


def failed(response: httpx.Response, status: int, key: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "FAILED"
    assert body["responseKey"] == key
    return body


async def create(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("/samples", json=sample_payload(**changes))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# -- naive datetimes ---------------------------------------------------------------


async def test_a_naive_datetime_is_422_on_create_and_update(client: httpx.AsyncClient) -> None:
    naive = "2024-05-01T10:00:00"
    body = failed(
        await client.post("/samples", json=sample_payload(seen_at=naive)), 422, "error_validation"
    )
    assert any(e["field"] == "seen_at" and "timezone" in e["message"] for e in body["errors"])
    row = await create(client)
    patched = await client.patch(f"/samples/{row['id']}", json={"seen_at": naive})
    failed(patched, 422, "error_validation")


# -- integers past their column ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("big", 2**63),
        ("big", -(2**63) - 1),
        ("big", 2**53),
        ("count", 2**31),
        ("count", -(2**31) - 1),
    ],
)
async def test_integers_past_the_column_are_422(
    client: httpx.AsyncClient, field: str, value: int
) -> None:
    body = failed(
        await client.post("/samples", json=sample_payload(**{field: value})),
        422,
        "error_validation",
    )
    assert [e["field"] for e in body["errors"]] == [field]


async def test_integers_at_the_edge_of_the_column_are_stored(client: httpx.AsyncClient) -> None:
    row = await create(client, big=2**53 - 1, count=-(2**31))
    got = (await client.get(f"/samples/{row['id']}")).json()["data"]
    assert (got["big"], got["count"]) == (2**53 - 1, -(2**31))


async def test_a_huge_version_is_422_not_409(client: httpx.AsyncClient) -> None:
    row = await create(client)
    response = await client.patch(f"/samples/{row['id']}", json={"label": "x", "version": 2**40})
    failed(response, 422, "error_validation")


async def test_a_huge_integer_filter_is_400(client: httpx.AsyncClient) -> None:
    failed(await client.get("/samples", params={"count": str(2**40)}), 400, "error_invalid_filter")


# -- json columns ----------------------------------------------------------------------


@pytest.mark.parametrize("tags", [["a", "b"], "text", 12, 1.5, True, None, {"nested": [1, {}]}])
async def test_json_takes_any_json_value(client: httpx.AsyncClient, tags: Any) -> None:
    row = await create(client, tags=tags)
    assert row["tags"] == tags
    got = (await client.get(f"/samples/{row['id']}")).json()["data"]
    assert got["tags"] == tags


@pytest.mark.parametrize(
    "params", [{"tags": "x"}, {"tags__ne": "x"}, {"tags__is_null": "true"}, {"sort": "tags"}]
)
async def test_json_takes_no_filter_and_no_sort(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    await create(client)
    response = await client.get("/samples", params=params)
    assert response.status_code in (400, 422), response.text
    assert response.json()["status"] == "FAILED"


# -- like on non-text columns -----------------------------------------------------------


@pytest.mark.parametrize("key", ["total__like", "count__ilike", "day__like", "flag__like"])
async def test_like_on_a_non_text_column_is_400(client: httpx.AsyncClient, key: str) -> None:
    await create(client)
    failed(await client.get("/samples", params={key: "1"}), 400, "error_invalid_filter")


async def test_like_on_text_still_works(client: httpx.AsyncClient) -> None:
    row = await create(client, label="Blue chair")
    response = await client.get("/samples", params={"label__like": "chair"})
    assert [item["id"] for item in response.json()["data"]["items"]] == [row["id"]]


# -- NaN and Infinity -----------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_floats_are_422(client: httpx.AsyncClient, literal: str) -> None:
    import json

    text = json.dumps(sample_payload()).replace('"ratio": 0.5', f'"ratio": {literal}')
    response = await client.post(
        "/samples", content=text, headers={"Content-Type": "application/json"}
    )
    body = failed(response, 422, "error_validation")
    assert [e["field"] for e in body["errors"]] == ["ratio"]
    listing = await client.get("/samples")
    assert listing.json()["data"]["items"] == []


@pytest.mark.parametrize("total", ["NaN", "Infinity", "1.234", "12345678901.5"])
async def test_decimals_outside_the_column_are_422(client: httpx.AsyncClient, total: str) -> None:
    failed(await client.post("/samples", json=sample_payload(total=total)), 422, "error_validation")


# -- foreign keys ------------------------------------------------------------------------------


async def test_deleting_a_referenced_parent_is_409(client: httpx.AsyncClient) -> None:
    holder = (await client.post("/holders", json={"name": "shelf"})).json()["data"]
    await create(client, holder_id=holder["id"])
    body = failed(await client.delete(f"/holders/{holder['id']}"), 409, "error_still_referenced")
    assert "still referenced" in body["responseMessage"]
    assert (await client.get(f"/holders/{holder['id']}")).status_code == 200


async def test_referencing_a_missing_parent_is_422(client: httpx.AsyncClient) -> None:
    failed(
        await client.post("/samples", json=sample_payload(holder_id=987654)),
        422,
        "error_foreign_key",
    )
    row = await create(client)
    failed(
        await client.patch(f"/samples/{row['id']}", json={"holder_id": 987654}),
        422,
        "error_foreign_key",
    )


# -- one representation ------------------------------------------------------------------------


async def test_create_and_update_answer_what_get_returns(client: httpx.AsyncClient) -> None:
    created = await create(client, total="-5", seen_at="2024-05-01T10:00:00+02:00")
    assert created["total"] == "-5.00"
    assert created["seen_at"] == "2024-05-01T08:00:00Z"
    got = (await client.get(f"/samples/{created['id']}")).json()["data"]
    assert got == created
    patched = await client.patch(
        f"/samples/{created['id']}", json={"total": "7.5", "seen_at": "2024-05-01T23:30:00-05:00"}
    )
    assert patched.status_code == 200, patched.text
    updated = patched.json()["data"]
    assert (updated["total"], updated["seen_at"]) == ("7.50", "2024-05-02T04:30:00Z")
    assert (await client.get(f"/samples/{created['id']}")).json()["data"] == updated
    listed = (await client.get("/samples")).json()["data"]["items"]
    assert listed == [updated]


# -- empty PATCH -------------------------------------------------------------------------------


async def test_an_empty_patch_changes_nothing(client: httpx.AsyncClient) -> None:
    row = await create(client)
    response = await client.patch(f"/samples/{row['id']}", json={})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == row
    same = await client.patch(f"/samples/{row['id']}", json={"label": row["label"]})
    assert same.json()["data"]["version"] == row["version"]
    assert (await client.get(f"/samples/{row['id']}")).json()["data"] == row


@pytest.mark.parametrize("tags", [0, "x", [1], {"a": 1}, None, True])
async def test_patching_json_to_any_value_works(client: httpx.AsyncClient, tags: Any) -> None:
    row = await create(client)
    response = await client.patch(f"/samples/{row['id']}", json={"tags": tags})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["tags"] == tags
    again = await client.patch(f"/samples/{row['id']}", json={"tags": tags})
    assert again.json()["data"]["version"] == response.json()["data"]["version"]


async def test_an_empty_patch_with_a_stale_version_is_409(client: httpx.AsyncClient) -> None:
    row = await create(client)
    changed = await client.patch(f"/samples/{row['id']}", json={"label": "new"})
    assert changed.json()["data"]["version"] == row["version"] + 1
    stale = await client.patch(f"/samples/{row['id']}", json={"version": row["version"]})
    failed(stale, 409, "error_stale_version")


async def test_patch_refuses_null_for_not_null_columns(client: httpx.AsyncClient) -> None:
    row = await create(client)
    failed(
        await client.patch(f"/samples/{row['id']}", json={"label": None}), 422, "error_validation"
    )
    cleared = await client.patch(f"/samples/{row['id']}", json={"note": None})
    assert cleared.status_code == 200


# -- 405 and Allow -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/samples", {"GET", "HEAD", "POST"}),
        ("PUT", "/samples", {"GET", "HEAD", "POST"}),
        ("DELETE", "/samples", {"GET", "HEAD", "POST"}),
        ("PUT", "/samples/1", {"GET", "HEAD", "PATCH", "DELETE"}),
        ("POST", "/samples/1", {"GET", "HEAD", "PATCH", "DELETE"}),
    ],
)
async def test_405_allow_lists_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path)
    failed(response, 405, "error_method_not_allowed")
    # HEAD is the server's business (Starlette adds it to plain routes, FastAPI does not).
    listed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert listed - {"HEAD"} == allowed - {"HEAD"}


# -- the OpenAPI document ------------------------------------------------------------------------


async def test_openapi_tells_the_truth(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    listing = schema["paths"]["/samples"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    sort = parameters["sort"]["schema"]
    examples = parameters["sort"].get("examples") or sort.get("examples")
    assert "-price,name" not in str(examples)
    assert "-count,id" in str(examples)
    assert "tags" not in sort["anyOf"][0]["pattern"]
    assert "offset" in parameters["cursor"]["description"]
    assert "cursor" in parameters["offset"]["description"]
    every = {"413", "422", "429", "500", "503"}
    for path, methods, extra in [
        ("/samples", ("get",), {"400"}),
        ("/samples", ("post",), {"409"}),
        ("/samples/{id}", ("get",), {"404"}),
        ("/samples/{id}", ("patch", "delete"), {"404", "409"}),
    ]:
        for method in methods:
            declared = set(schema["paths"][path][method]["responses"])
            assert every | extra <= declared, (path, method, declared)
    update = schema["components"]["schemas"]["SampleUpdate"]["properties"]
    assert update["label"] == {"maxLength": 40, "pattern": "^[^\\x00]*$", "type": "string"} | {
        "title": "Label"
    }
    assert "anyOf" in update["note"]  # nullable column: null is allowed
    assert "default" not in update["label"]


# -- outages ------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_an_unreachable_database_is_503_on_every_crud_route() -> None:
    from tests.support.net import free_port

    settings = Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none",
        database_connect_timeout=2,
        **TEST_OVERRIDES,  # type: ignore[arg-type]
    )
    application = create_app(settings, routers=[SampleController.as_router()])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application),
        base_url="http://t",
        headers=bearer(application),
    ) as http:
        for method, path, body in [
            ("GET", "/samples", None),
            ("POST", "/samples", sample_payload()),
            ("GET", "/samples/1", None),
            ("PATCH", "/samples/1", {"label": "x"}),
            ("DELETE", "/samples/1", None),
        ]:
            response = await http.request(method, path, json=body)
            failed(response, 503, "error_unavailable")
    await application.state.fastmvc.aclose()
