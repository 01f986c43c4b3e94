"""The README's library example runs as written."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastmvc.db import Base
from fastmvc.settings import Settings
from fastmvc.testing import TEST_OVERRIDES

README = Path(__file__).resolve().parents[3] / "README.md"


def library_example() -> str:
    text = README.read_text()
    section = text[text.index("## Using the library") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


@pytest.fixture
async def example_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    for name in ("DATABASE_URL", "REDIS_URL", "DATABASE_HOST", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    import fastmvc.app
    import fastmvc.settings

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/readme.db", **TEST_OVERRIDES)  # type: ignore[arg-type]
    monkeypatch.setattr(fastmvc.settings, "get_settings", lambda: settings)
    monkeypatch.setattr(fastmvc.app, "get_settings", lambda: settings)
    module = types.ModuleType("readme_example")
    # SQLAlchemy resolves Mapped[...] annotations through sys.modules.
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    exec(compile(library_example(), str(README), "exec"), namespace)
    app = namespace["app"]
    runtime = app.state.fastmvc
    await runtime.database.create_all(namespace["Product"].metadata)
    yield app
    await runtime.database.drop_all(namespace["Product"].metadata)
    await runtime.aclose()
    Base.metadata.remove(namespace["Product"].__table__)


async def test_readme_example_serves_products(example_app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=example_app), base_url="http://testserver"
    ) as client:
        created = await client.post("/products", json={"name": "oak desk", "price": "120.00"})
        assert created.status_code == 201, created.text
        assert created.json()["data"]["name"] == "Oak Desk"  # before_create's rule ran
        listing = await client.get("/products", params={"price__gte": "100", "sort": "-price"})
        assert [item["name"] for item in listing.json()["data"]["items"]] == ["Oak Desk"]
