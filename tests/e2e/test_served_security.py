"""Issue 8, attacked as an outsider would: a generated project served by `fastmvc run`.

- Defect 1: without ``.env`` (as ``.dockerignore`` builds it) and without
  ``JWT_SECRET_KEY``, no published placeholder verifies a token, one loud
  warning is logged, and production refuses to start.
- Defect 2: ``X-Forwarded-For`` from 127.0.0.1 is not believed unless
  ``TRUSTED_PROXIES`` says so, so rotating it defeats no limit.
- Defect 4: behind a trusted proxy, every spelling of one client is one
  bucket, IPv6 is grouped by /64, and ``ip:port`` entries name the client.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from jose import jwt

from tests.services import REDIS_URL
from tests.support.serving import cli_env, generate_project, run_cli, served_project

pytestmark = pytest.mark.slow

# What main's fastmvc/settings.py and the generated .env.example used to hold.
PUBLISHED_SECRETS = ["change-me-insecure-development-secret", "change-me"]
USER = {"email": "owner@example.com", "password": "a long enough password"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated, migrated project without its ``.env``, as its Docker image is built."""
    project = generate_project(tmp_path_factory.mktemp("security"))
    (project / ".env").unlink()
    return project


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "server.log"


def _forge(secret: str, sub: str) -> str:
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + 600, "jti": "x", "typ": "access", "fam": "x"}
    token: str = jwt.encode(claims, secret, algorithm="HS256")
    return token


def _remaining(response: httpx.Response) -> int:
    assert response.status_code != 429, response.text
    return int(response.headers["X-RateLimit-Remaining"])


def test_without_a_secret_no_published_placeholder_verifies(shop: Path, log: Path) -> None:
    with served_project(shop, cli_env(), log) as base_url, httpx.Client(base_url=base_url) as http:
        registered = http.post("/auth/register", json=USER)
        assert registered.status_code in (201, 409), registered.text
        login = http.post("/auth/login", json=USER)
        assert login.status_code == 200, login.text
        user_id = str(login.json()["data"]["user"]["id"])
        real = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        assert http.get("/users/me", headers=real).status_code == 200
        for secret in PUBLISHED_SECRETS:
            forged = {"Authorization": f"Bearer {_forge(secret, user_id)}"}
            refused = http.get("/users/me", headers=forged)
            assert refused.status_code == 401, secret
    output = log.read_text()
    assert output.count("JWT_SECRET_KEY is not set") == 1, output


def test_production_refuses_to_start_without_a_secret(shop: Path) -> None:
    env = cli_env(ENVIRONMENT="production", REDIS_URL=REDIS_URL)
    done = run_cli(["run", "--no-reload", "--port", "1"], shop, env, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    assert "JWT_SECRET_KEY is missing or a placeholder" in line


def test_forwarded_for_from_loopback_is_not_believed(shop: Path, log: Path) -> None:
    env = cli_env(RATE_LIMIT_PER_MINUTE="4", LOGIN_RATE_LIMIT_PER_MINUTE="2")
    with served_project(shop, env, log) as base_url, httpx.Client(base_url=base_url) as http:
        wrong = {"email": "victim@example.com", "password": "not the password"}
        logins = [
            http.post("/auth/login", json=wrong, headers={"X-Forwarded-For": f"198.51.100.{n}"})
            for n in range(3)
        ]
        assert [r.status_code for r in logins] == [401, 401, 429]
        # An API route: in development the docs and /openapi.json are not limited.
        pages = [
            http.get("/users/me", headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(2)
        ]
        # Three logins and these two: the fifth request from 127.0.0.1 is refused.
        assert [r.status_code for r in pages] == [401, 429]


def test_one_client_is_one_bucket_however_the_proxy_spells_it(shop: Path, log: Path) -> None:
    env = cli_env(TRUSTED_PROXIES="127.0.0.1/32", RATE_LIMIT_PER_MINUTE="500")
    with served_project(shop, env, log) as base_url, httpx.Client(base_url=base_url) as http:

        def remaining(forwarded: str | None) -> int:
            headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
            # An API route: in development /openapi.json is not limited.
            return _remaining(http.get("/users/me", headers=headers))

        spellings = [
            "2001:db8::1",
            "2001:DB8::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001",
            "2001:db8:0:0::1",
            "[2001:db8::1]",
            "[2001:db8::1]:443",
            "2001:db8::ffff",  # another address of the same /64
            "2001:db8::1:2:3:4",
        ]
        assert [remaining(s) for s in spellings] == list(range(499, 499 - len(spellings), -1))
        # Another /64 is another client.
        assert remaining("2001:db8:0:1::1") == 499

        mapped = [
            "203.0.113.9",
            "::ffff:203.0.113.9",
            "203.0.113.9:4567",
            "[::ffff:203.0.113.9]:80",
        ]
        assert [remaining(s) for s in mapped] == [499, 498, 497, 496]

        # ip:port names the client, not the proxy: each gets its own fresh bucket.
        assert remaining("198.51.100.1:1111") == 499
        assert remaining("198.51.100.2:1111") == 499
        assert remaining(None) == 499  # the proxy's own bucket was never used
