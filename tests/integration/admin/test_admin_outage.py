"""An admin page while the database is down: 503 with Retry-After, never a 500, then back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES
from tests.integration.admin.admin_app import CardController, User
from tests.integration.admin.conftest import client_for, create_tables, insert_user, sign_in
from tests.support.postgres_cluster import ThrowawayPostgres, throwaway_postgres_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    with throwaway_postgres_cluster() as server:
        yield server


async def test_an_admin_page_answers_503_while_the_database_is_down(
    cluster: ThrowawayPostgres,
) -> None:
    await create_tables(cluster.url)
    settings = Settings(
        database_url=cluster.url, redis_url=None, database_connect_timeout=2, **TEST_OVERRIDES
    )
    app = create_app(
        settings, routers=[*auth_routers(User), CardController.as_router()], setup_logging=False
    )
    email = await insert_user(app, admin=True)
    try:
        async with client_for(app) as http:
            assert (await sign_in(http, email)).status_code == 302
            assert (await http.get("/admin/card/list")).status_code == 200

            cluster.stop()
            try:
                page = await http.get("/admin/card/list")
                assert page.status_code == 503, page.text
                assert page.headers["retry-after"] == "5"
                assert page.text == "The database is unavailable; retry shortly"
            finally:
                cluster.start()

            assert (await http.get("/admin/card/list")).status_code == 200
    finally:
        await app.state.fastmvc.aclose()
