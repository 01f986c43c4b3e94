"""The whole flow, from the built wheel: new → add entities → migrate → the project's own tests.

It runs once on SQLite and once on the real PostgreSQL (a fresh database,
dropped afterwards). The wheel is built once and installed into one fresh
virtual environment that both runs share, so a file missing from the wheel
fails here even when an editable checkout would have it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.wheel import Venv
from tests.services import require
from tests.support.net import free_port

# Builds the wheel and a fresh venv, then runs everything twice: far past the default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_new_add_migrate_and_the_generated_tests(
    wheel_venv: Venv, database_env: dict[str, str], tmp_path: Path
) -> None:
    run, env = wheel_venv.run, database_env
    run(["fastmvc", "new", "shop", "--no-git"], tmp_path, env)
    shop = tmp_path / "shop"
    run(["fastmvc", "add", "entity", "Category", "name:str:unique"], shop, env)
    run(
        ["fastmvc", "add", "entity", "Product", "name:str", "price:decimal", "stock:int",
         "note:text?", "category:references"],
        shop,
        env,
    )  # fmt: skip
    upgraded = run(["fastmvc", "migrate", "upgrade"], shop, env)
    assert "Create the products table" in upgraded.stdout
    run(["fastmvc", "migrate", "check"], shop, env)

    tests = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], shop, env)
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    for exercised in ("test_auth.py", "test_category.py", "test_product.py"):
        assert (shop / "tests" / exercised).is_file()
    verbose = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co"], shop, env)
    collected = verbose.stdout
    assert "test_auth.py::test_logout_revokes_the_token" in collected
    assert "test_product.py::test_list_pages_with_a_cursor" in collected
    assert "test_category.py::test_update_checks_the_version" in collected

    run(["ruff", "check", "--no-cache", "."], shop, env)
    run(["ruff", "format", "--check", "--no-cache", "."], shop, env)

    down = run(["fastmvc", "migrate", "downgrade", "base"], shop, env)
    assert "Running downgrade" in down.stdout
    run(["fastmvc", "migrate", "upgrade"], shop, env)
    run(["fastmvc", "migrate", "check"], shop, env)


def _fastmvc(venv: Venv, args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [str(venv.bin / "fastmvc"), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"fastmvc {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def authz_env(database_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The flow's environment, plus Redis (own key prefix) whenever PostgreSQL is in play."""
    if "DATABASE_URL" not in database_env:
        yield {k: v for k, v in database_env.items() if k != "REDIS_URL"}
        return
    prefix = f"test-i9-flow-{uuid.uuid4().hex[:8]}"
    redis_url = require("redis")
    yield database_env | {
        "REDIS_URL": redis_url,
        "TOKEN_STORE_PREFIX": prefix,
        # The limiter shares this Redis with other suites; it is not what is tested here.
        "RATE_LIMIT_ENABLED": "false",
        "LOGIN_RATE_LIMIT_PER_MINUTE": "1000",
    }
    asyncio.run(_delete_keys(redis_url, f"{prefix}:*"))


async def _delete_keys(url: str, pattern: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=pattern)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextmanager
def _served(venv: Venv, shop: Path, env: dict[str, str], workers: int) -> Iterator[str]:
    port = free_port()
    log_path = shop / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(venv.bin / "fastmvc"), "run", "--port", str(port), "--no-reload",
             "--workers", str(workers)],
            cwd=shop, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for_workers(base, server, log_path, workers)
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait_for_workers(base: str, server: subprocess.Popen[bytes], log: Path, workers: int) -> None:
    """Wait (generously: the machine may be loaded) for the app, then for every worker."""
    deadline = time.monotonic() + 180
    while True:
        if server.poll() is not None:
            pytest.fail(f"fastmvc run exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health/live", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"fastmvc run did not answer within 180 s:\n{log.read_text()}")
        time.sleep(0.5)
    # uvicorn logs one "Application startup complete" per worker; give the rest time.
    settle = time.monotonic() + 30
    while time.monotonic() < settle:
        if log.read_text(errors="replace").count("Application startup complete") >= workers:
            return
        time.sleep(0.5)


def _token(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    login = http.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['data']['access_token']}"}


def test_owned_public_admin_entities_and_deactivation_end_to_end(
    wheel_venv: Venv, authz_env: dict[str, str], tmp_path: Path
) -> None:
    """The "done when" of authorization: policies, the admin from the CLI, instant deactivation.

    On PostgreSQL the app also runs on Redis with 4 uvicorn workers, so the
    deactivation mark has to reach every worker.
    """
    env = authz_env
    _fastmvc(wheel_venv, ["new", "shop", "--no-git"], tmp_path, env)
    shop = tmp_path / "shop"
    _fastmvc(wheel_venv, ["add", "entity", "Note", "body:text", "--owned"], shop, env)
    _fastmvc(
        wheel_venv,
        ["add", "entity", "Product", "name:str", "--public", "--write", "admin"],
        shop,
        env,
    )
    _fastmvc(wheel_venv, ["migrate", "upgrade"], shop, env)
    password = "a long enough password"
    made = _fastmvc(
        wheel_venv,
        ["users", "create", "root@example.com", "--admin", "--password-stdin"],
        shop,
        env,
        stdin=password + "\n",
    )
    assert "Created admin root@example.com" in made
    workers = 4 if "REDIS_URL" in env else 1
    with _served(wheel_venv, shop, env, workers) as base, httpx.Client(base_url=base) as http:
        for email in ("a@example.com", "b@example.com"):
            registered = http.post("/auth/register", json={"email": email, "password": password})
            assert registered.status_code == 201, registered.text
        as_a = _token(http, "a@example.com", password)
        as_b = _token(http, "b@example.com", password)
        as_admin = _token(http, "root@example.com", password)

        # B cannot see or touch A's notes.
        note = http.post("/notes", json={"body": "A's secret"}, headers=as_a).json()["data"]
        url = f"/notes/{note['id']}"
        assert http.get(url, headers=as_b).status_code == 404
        assert http.patch(url, json={"body": "B was here"}, headers=as_b).status_code == 404
        assert http.delete(url, headers=as_b).status_code == 404
        assert http.get("/notes", headers=as_b).json()["data"]["items"] == []
        assert http.get(url, headers=as_a).json()["data"]["body"] == "A's secret"

        # Anonymous lists products but cannot create one; a non-admin gets 403 on writes.
        assert http.get("/products").status_code == 200
        assert http.post("/products", json={"name": "anon"}).status_code == 401
        assert http.post("/products", json={"name": "b"}, headers=as_b).status_code == 403

        # The admin from `fastmvc users create --admin` can do everything.
        product = http.post("/products", json={"name": "chair"}, headers=as_admin)
        assert product.status_code == 201, product.text
        product_url = f"/products/{product.json()['data']['id']}"
        assert http.patch(product_url, json={"name": "sofa"}, headers=as_admin).status_code == 200
        assert http.get(url, headers=as_admin).status_code == 200
        assert http.patch(url, json={"body": "moderated"}, headers=as_admin).status_code == 200
        listed = http.get("/notes", headers=as_admin).json()["data"]["items"]
        assert [item["id"] for item in listed] == [note["id"]]
        assert http.delete(product_url, headers=as_admin).status_code == 200

        # Every worker accepts A's token, then none does once A is deactivated.
        rounds = 4 * workers
        assert {http.get("/users/me", headers=as_a).status_code for _ in range(rounds)} == {200}
        _fastmvc(wheel_venv, ["users", "deactivate", "a@example.com"], shop, env)
        after = [http.get("/notes", headers=as_a).status_code for _ in range(rounds)]
        assert after == [401] * rounds
        relogin = http.post("/auth/login", json={"email": "a@example.com", "password": password})
        assert relogin.status_code == 401
        assert http.get("/users/me", headers=as_b).status_code == 200

        _fastmvc(wheel_venv, ["users", "activate", "a@example.com"], shop, env)
        assert http.get("/users/me", headers=as_a).status_code == 401  # old tokens stay dead
        fresh = _token(http, "a@example.com", password)
        assert http.get(url, headers=fresh).status_code == 200
