"""Fixtures of the CLI tests: a freshly generated project, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fastmvc_cli.main import main
from tests.cli.wheel import database_env, wheel_venv

__all__ = ["database_env", "wheel_venv"]


@pytest.fixture(scope="session")
def pristine_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``fastmvc new shop`` once per session; tests work on copies."""
    parent = tmp_path_factory.mktemp("pristine")
    with pytest.raises(SystemExit) as exited:
        main(["new", "shop", "--output-dir", str(parent), "--no-git"])
    assert exited.value.code == 0
    return parent / "shop"


@pytest.fixture
def project(pristine_project: Path, tmp_path: Path) -> Path:
    """A private copy of the generated project."""
    target = tmp_path / "shop"
    shutil.copytree(pristine_project, target)
    return target
