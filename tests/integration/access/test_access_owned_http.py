"""Owned rows over HTTP: scoped by one SQL condition, 404 for others, admins see all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

Headers = dict[str, str]


async def create(client: httpx.AsyncClient, headers: Headers, body: str = "hello") -> Any:
    response = await client.post("/notes", json={"body": body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_the_owner_is_the_caller_and_never_the_body(
    client: httpx.AsyncClient, make_user: Callable[..., Any]
) -> None:
    alice, as_alice = await make_user()
    bob, as_bob = await make_user()
    note = await create(client, as_alice)
    assert note["owner_id"] == alice.id
    forged = await client.post(
        "/notes", json={"body": "mine now", "owner_id": alice.id}, headers=as_bob
    )
    assert forged.status_code == 422
    assert {error["field"] for error in forged.json()["errors"]} == {"owner_id"}
    moved = await client.patch(f"/notes/{note['id']}", json={"owner_id": bob.id}, headers=as_alice)
    assert moved.status_code == 422


async def test_another_users_row_is_404_on_every_verb(
    client: httpx.AsyncClient, make_user: Callable[..., Any]
) -> None:
    _, as_alice = await make_user()
    _, as_bob = await make_user()
    note = await create(client, as_alice)
    url = f"/notes/{note['id']}"
    assert (await client.get(url, headers=as_bob)).status_code == 404
    patched = await client.patch(url, json={"body": "x", "version": 1}, headers=as_bob)
    assert patched.status_code == 404  # not 409: a stale version must not reveal the row
    assert (await client.patch(url, json={"body": "x"}, headers=as_bob)).status_code == 404
    assert (await client.delete(url, headers=as_bob)).status_code == 404
    listed = await client.get("/notes", headers=as_bob)
    assert listed.json()["data"]["items"] == []
    mine = await client.get(url, headers=as_alice)
    assert mine.status_code == 200 and mine.json()["data"]["body"] == "hello"
    assert mine.json()["data"]["version"] == 1


async def test_an_admin_reads_and_changes_every_row(
    client: httpx.AsyncClient, make_user: Callable[..., Any]
) -> None:
    _, as_alice = await make_user()
    admin, as_admin = await make_user(admin=True)
    note = await create(client, as_alice)
    url = f"/notes/{note['id']}"
    listed = await client.get("/notes", headers=as_admin)
    assert [item["id"] for item in listed.json()["data"]["items"]] == [note["id"]]
    assert (await client.get(url, headers=as_admin)).status_code == 200
    patched = await client.patch(url, json={"body": "moderated"}, headers=as_admin)
    assert patched.status_code == 200
    assert patched.json()["data"]["owner_id"] == note["owner_id"] != admin.id
    assert (await client.delete(url, headers=as_admin)).status_code == 200
    assert (await client.get(url, headers=as_alice)).status_code == 404


async def test_anonymous_gets_401_on_every_verb(client: httpx.AsyncClient) -> None:
    for method, url in [("GET", "/notes"), ("POST", "/notes"), ("GET", "/notes/1"),
                        ("PATCH", "/notes/1"), ("DELETE", "/notes/1")]:  # fmt: skip
        response = await client.request(method, url, json={"body": "x"})
        assert response.status_code == 401, (method, url)
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's database runs during the test."""
    seen: list[str] = []
    engine = app.state.fastmvc.database.engine.sync_engine

    def record(*args: Any) -> None:
        seen.append(args[2])

    # The test binds requests to a connection of the suite's engine, so listen there too.
    session = app.state.test_session
    target = session.bind.sync_engine
    for each in {id(engine): engine, id(target): target}.values():
        event.listen(each, "before_cursor_execute", record)
    yield seen
    for each in {id(engine): engine, id(target): target}.values():
        event.remove(each, "before_cursor_execute", record)


async def test_a_scoped_list_is_one_query_and_cursors_walk_only_own_rows(
    client: httpx.AsyncClient, make_user: Callable[..., Any], statements: list[str]
) -> None:
    _, as_alice = await make_user()
    _, as_bob = await make_user()
    alices = []
    for n in range(7):
        alices.append((await create(client, as_alice, f"a{n}"))["id"])
        await create(client, as_bob, f"b{n}")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": "-body", "with_total": "true"}
        if cursor:
            params["cursor"] = cursor
        statements.clear()
        response = await client.get("/notes", params=params, headers=as_alice)
        assert response.status_code == 200
        selects = [s for s in statements if "authz_notes" in s]
        assert len(selects) <= 2, selects  # the page, plus a count once a cursor is in play
        assert all("owner_id" in s for s in selects), selects
        data = response.json()["data"]
        assert data["total"] == 7
        seen += [item["id"] for item in data["items"]]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert seen == sorted(alices, reverse=True)  # bodies a6..a0: every row once, in order
    statements.clear()
    await client.get("/notes", params={"limit": 5}, headers=as_alice)
    assert len([s for s in statements if "authz_notes" in s]) == 1


async def test_public_read_admin_write_policies(
    client: httpx.AsyncClient, make_user: Callable[..., Any]
) -> None:
    _, as_user = await make_user()
    _, as_admin = await make_user(admin=True)
    assert (await client.get("/admin-notes")).status_code == 200
    assert (await client.post("/admin-notes", json={"body": "x"})).status_code == 401
    refused = await client.post("/admin-notes", json={"body": "x"}, headers=as_user)
    assert refused.status_code == 403
    assert refused.json()["responseKey"] == "error_admin_required"
    created = await client.post("/admin-notes", json={"body": "x"}, headers=as_admin)
    assert created.status_code == 201
    note_id = created.json()["data"]["id"]
    assert (await client.get(f"/admin-notes/{note_id}")).status_code == 200
    assert (await client.delete(f"/admin-notes/{note_id}", headers=as_user)).status_code == 403
    assert (await client.delete(f"/admin-notes/{note_id}", headers=as_admin)).status_code == 200


async def test_openapi_declares_403_only_where_admins_are_required(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "403" in paths["/admin-notes"]["post"]["responses"]
    assert "403" not in paths["/admin-notes"]["get"]["responses"]
    assert "403" not in paths["/notes"]["get"]["responses"]
    assert "403" in paths["/stats/admin-only"]["get"]["responses"]
    assert "security" not in paths["/admin-notes"]["get"]
    assert paths["/notes"]["get"]["security"] == [{"BearerAuth": []}]


async def test_a_plain_controller_needs_a_token_unless_it_says_otherwise(
    client: httpx.AsyncClient, make_user: Callable[..., Any]
) -> None:
    alice, as_alice = await make_user()
    assert (await client.get("/stats/whoami")).status_code == 401
    me = await client.get("/stats/whoami", headers=as_alice)
    assert me.json()["data"] == {"sub": str(alice.id)}
    pong = await client.get("/stats/ping")
    assert pong.status_code == 200 and pong.json()["data"] == {"actor": None}
    assert (await client.get("/stats/admin-only", headers=as_alice)).status_code == 403


async def test_a_custom_route_scopes_rows_to_its_caller(
    client: httpx.AsyncClient, make_user: Callable[..., Any]
) -> None:
    _, as_alice = await make_user()
    _, as_bob = await make_user()
    _, as_admin = await make_user(admin=True)
    for _ in range(3):
        await create(client, as_alice)
    await create(client, as_bob)
    counts = {}
    for name, headers in (("alice", as_alice), ("bob", as_bob), ("admin", as_admin)):
        response = await client.get("/stats/my-notes", headers=headers)
        counts[name] = response.json()["data"]["count"]
    assert counts == {"alice": 3, "bob": 1, "admin": 4}
