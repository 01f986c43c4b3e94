"""The README's library example runs as written (in a fresh interpreter)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "README.md"

DRIVER = """
import asyncio

import httpx


async def main() -> None:
    await app.state.fastmvc.database.create_all()
    transport = httpx.ASGITransport(app=app)
    token = app.state.fastmvc.tokens.issue(1).access_token
    writer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        anonymous = await client.post("/products", json={"name": "nope", "price": "1.00"})
        assert anonymous.status_code == 401, anonymous.text  # public reads, not writes
        created = await client.post(
            "/products", json={"name": "oak desk", "price": "120.00"}, headers=writer
        )
        assert created.status_code == 201, created.text
        assert created.json()["data"]["name"] == "Oak Desk", created.text  # before_create ran
        listing = await client.get("/products", params={"price__gte": "100", "sort": "-price"})
        names = [item["name"] for item in listing.json()["data"]["items"]]
        assert names == ["Oak Desk"], listing.text
    await app.state.fastmvc.aclose()
    print("README example OK")


asyncio.run(main())
"""


def library_example() -> str:
    text = README.read_text()
    section = text[text.index("## Using the library") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_readme_example_serves_products(tmp_path: Path) -> None:
    script = tmp_path / "readme_example.py"
    script.write_text(library_example() + DRIVER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'readme.db'}"
    completed = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "README example OK" in completed.stdout
