"""Registration does not reveal which emails have accounts (issue 8, defects 5 and 8).

- With EMAIL_VERIFICATION_REQUIRED on, a taken and a new email get the same
  answer after the same hashing work.
- With it off, 409 stays (documented), but the hashing work is the same too
  and registration has its own per-IP limit.
- Emails are NFKC-normalised and case-folded; mixed-script local parts are refused.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fastmvc.app import create_app
from fastmvc.auth import auth_routers
from fastmvc.security import PasswordHasher
from fastmvc.settings import Settings
from tests.integration.auth.auth_helpers import PASSWORD, AuthTestUser, register

VERIFY = "email_verification_required"


class CountingHasher(PasswordHasher):
    """The app's hasher, counting how many hashes each request costs."""

    calls = 0

    async def hash(self, password: str) -> str:
        CountingHasher.calls += 1
        return await super().hash(password)


@pytest.fixture
def fastmvc_app_factory(request: pytest.FixtureRequest) -> Any:
    changes: dict[str, Any] = getattr(request, "param", {})

    def factory(settings: Settings) -> Any:
        app = create_app(settings.model_copy(update=changes), routers=auth_routers(AuthTestUser))
        runtime = app.state.fastmvc
        runtime.passwords = CountingHasher.from_settings(runtime.settings)
        return app

    return factory


def _comparable(response: httpx.Response) -> tuple[int, dict[str, Any]]:
    body = response.json()
    body.pop("transactionUrn")
    return response.status_code, body


@pytest.mark.parametrize("fastmvc_app_factory", [{VERIFY: True}], indirect=True)
async def test_with_verification_a_taken_email_looks_like_a_new_one(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post(
        "/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
    )
    before = CountingHasher.calls
    taken = await client.post(
        "/auth/register", json={"email": "ADA@example.com", "password": "another password"}
    )
    taken_work = CountingHasher.calls - before
    before = CountingHasher.calls
    new = await client.post(
        "/auth/register", json={"email": "bob@example.com", "password": "another password"}
    )
    new_work = CountingHasher.calls - before

    assert _comparable(first) == _comparable(taken) == _comparable(new)
    assert taken.status_code == 202
    assert taken.json()["data"] is None
    assert taken_work == new_work == 1
    # The account exists and kept its password: login gets past the password
    # check and is refused only because the email is not verified yet.
    login = await client.post(
        "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert login.status_code == 403
    assert login.json()["responseKey"] == "error_email_not_verified"


async def test_without_verification_409_stays_but_costs_the_same_work(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ada@example.com")
    before = CountingHasher.calls
    taken = await client.post(
        "/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
    )
    taken_work = CountingHasher.calls - before
    before = CountingHasher.calls
    await register(client, "bob@example.com")
    new_work = CountingHasher.calls - before
    assert taken.status_code == 409
    assert taken_work == new_work == 1


@pytest.mark.parametrize(
    "fastmvc_app_factory", [{"register_rate_limit_per_minute": 3}], indirect=True
)
async def test_registration_has_its_own_limit_per_ip(client: httpx.AsyncClient) -> None:
    codes = [
        (
            await client.post(
                "/auth/register", json={"email": f"probe{n}@example.com", "password": PASSWORD}
            )
        ).status_code
        for n in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    # Login keeps its own budget.
    login = await client.post(
        "/auth/login", json={"email": "probe0@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200


async def test_fullwidth_and_case_variants_are_one_account(client: httpx.AsyncClient) -> None:
    user = await register(client, "ada@example.com")
    assert user["email"] == "ada@example.com"
    for variant in (
        "\uff41\uff44\uff41@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff43\uff4f\uff4d",
        "ADA@Example.COM",
        "\U0001d41a\U0001d41d\U0001d41a@example.com",  # mathematical bold letters
    ):
        taken = await client.post("/auth/register", json={"email": variant, "password": PASSWORD})
        assert taken.status_code == 409, variant
        login = await client.post("/auth/login", json={"email": variant, "password": PASSWORD})
        assert login.status_code == 200, variant


async def test_mixed_script_local_parts_are_refused(client: httpx.AsyncClient) -> None:
    await register(client, "paypal@example.com")
    lookalike = "p\u0430yp\u0430l@example.com"  # Cyrillic a
    refused = await client.post("/auth/register", json={"email": lookalike, "password": PASSWORD})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].endswith("email")
    # One script throughout is a mailbox of its own.
    assert (await register(client, "\u043f\u0440\u0438\u043c\u0435\u0440@example.com"))["email"]
