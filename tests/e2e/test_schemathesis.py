"""Schemathesis, a client nobody here wrote, against a generated project served by `fastmvc run`.

The project's entities use every field TYPE of the grammar, a reference and
``--soft-delete``. Schemathesis reads the served OpenAPI document and runs
every check (``--checks all``) as a signed-in user, on SQLite and on
PostgreSQL; the test passes only with zero failures. ``--max-examples`` keeps
each run near a minute.

Two rejections of schema-valid input are right and no JSON Schema can rule
them out (an opaque cursor the server never issued; a reference to a row that
does not exist): ``schemathesis.toml`` beside this file lets exactly those
operations answer them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from fastmvc.testing import temporary_postgres_database
from tests.services import require
from tests.support.serving import cli_env, generate_project, served_project

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 10
SCHEMATHESIS_TIMEOUT_SECONDS = 400

# Every field TYPE of `fastmvc add entity`, a reference and --soft-delete.
ENTITIES: list[list[str]] = [
    ["Category", "name:str:unique"],
    [
        "Product",
        "name:str",
        "note:text?",
        "stock:int",
        "views:bigint",
        "weight:float",
        "price:decimal",
        "active:bool",
        "released:date",
        "seen_at:datetime",
        "code:uuid",
        "tags:json",
        "category:references",
        "--soft-delete",
    ],
]
# An owner-scoped entity: the run covers the scoped routes and the refused owner_id too.
OWNED_ENTITIES: list[list[str]] = [["Note", "title:str", "body:text?", "--owned"]]

USER = {"email": "schemathesis@fastmvc.test", "password": "correct horse battery staple"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """No DATABASE_URL (SQLite), or one for a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield {}
        return
    async with temporary_postgres_database(require("postgres")) as url:
        yield {"DATABASE_URL": url}


@pytest.fixture
def served(tmp_path: Path, database_env: dict[str, str]) -> Iterator[str]:
    """The generated project, migrated and served; yields its base URL."""
    # The limiter would answer most of the run with 429; it has its own tests.
    env = cli_env(RATE_LIMIT_ENABLED="false", **database_env)
    shop = generate_project(tmp_path, *ENTITIES, *OWNED_ENTITIES, env=env)
    with served_project(shop, env, tmp_path / "server.log") as base_url:
        yield base_url


def _sign_in(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        assert http.post("/auth/register", json=USER).status_code == 201
        login = http.post("/auth/login", json=USER)
        assert login.status_code == 200, login.text
        token: str = login.json()["data"]["access_token"]
        return token


def test_schemathesis_finds_nothing(served: str, tmp_path: Path) -> None:
    token = _sign_in(served)
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "--config-file",
        str(CONFIG),
        "run",
        f"{served}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        # Logging out would end the signed-in session the rest of the run uses;
        # tests/integration/auth covers it.
        "--exclude-path",
        "/auth/logout",
    ]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SCHEMATHESIS_TIMEOUT_SECONDS,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-20000:]
    summary = re.search(r"(\d+) generated, (\d+) passed", report)
    assert summary is not None, report[-5000:]
    generated, passed = int(summary.group(1)), int(summary.group(2))
    assert generated == passed > 0, report[-5000:]
    # Shown with `pytest -rP`: how many cases ran.
    print(f"schemathesis: {generated} cases generated, {passed} passed")
