"""The generated project the end-to-end tests serve."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.serving import generate_project


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shop with a Product entity, migrated on SQLite; tests use unique emails."""
    return generate_project(
        tmp_path_factory.mktemp("e2e"), ["Product", "name:str", "price:decimal", "stock:int"]
    )
