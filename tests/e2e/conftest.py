"""The generated project the end-to-end tests serve."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.generated_project import scaffold_shop


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shop with a Product entity, migrated on SQLite; tests use unique emails."""
    return scaffold_shop(tmp_path_factory.mktemp("e2e"))
