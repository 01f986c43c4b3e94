"""The built wheel installs only FastMVC's own names, with every data file it needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("pyfastmvc-*.whl")
    return zipfile.ZipFile(path)


def test_only_fastmvc_top_level_names(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert tops == {"fastmvc", "fastmvc_cli", "pyfastmvc-0.1.0.dist-info"}


def test_package_data_is_shipped(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert {
        "fastmvc/py.typed",
        "fastmvc_cli/py.typed",
        "fastmvc/ratelimit/sliding_window.lua",
    } <= names
    assert "fastmvc_cli/migrations_template/migrations/env.py.jinja" in names
    assert "fastmvc_cli/migrations_template/migrations/script.py.mako" in names
    templates = {name for name in names if name.startswith("fastmvc_cli/templates/")}
    assert any(name.endswith(".jinja") for name in templates)
    # Every template in the source tree made it into the wheel.
    source = {
        "fastmvc_cli/" + str(path.relative_to(REPO / "cli" / "fastmvc_cli"))
        for path in (REPO / "cli" / "fastmvc_cli" / "templates").rglob("*")
        if path.is_file()
    }
    assert source <= templates


def test_entry_points(wheel: zipfile.ZipFile) -> None:
    entry_points = wheel.read("pyfastmvc-0.1.0.dist-info/entry_points.txt").decode()
    assert "fastmvc = fastmvc_cli.main:main" in entry_points
    assert "[pytest11]" in entry_points
    assert "fastmvc = fastmvc.testing.plugin" in entry_points
