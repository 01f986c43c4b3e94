"""The template engine, the template resolver and the import-block writer."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import jinja2
import pytest

from fastmvc_cli.imports import from_import, import_block
from fastmvc_cli.render import render_tree, write_plan
from fastmvc_cli.resources import entity_templates, migrations_template, project_templates


def test_jinja_files_render_and_others_are_copied(tmp_path: Path) -> None:
    (tmp_path / "{{ package }}").mkdir()
    (tmp_path / "{{ package }}" / "mod.py.jinja").write_text("name = {{ package | tojson }}\n")
    raw = b"${not jinja} {{ left alone }}\x00"
    (tmp_path / "raw.mako").write_bytes(raw)
    plan = render_tree(tmp_path, {"package": "shop"})
    assert plan == {
        PurePosixPath("raw.mako"): raw,
        PurePosixPath("shop/mod.py"): b'name = "shop"\n',
    }


def test_unknown_variables_fail(tmp_path: Path) -> None:
    (tmp_path / "x.txt.jinja").write_text("{{ nope }}")
    with pytest.raises(jinja2.UndefinedError):
        render_tree(tmp_path, {})


def test_write_plan(tmp_path: Path) -> None:
    written = write_plan(tmp_path, {PurePosixPath("a/b.txt"): b"x"})
    assert written == [tmp_path / "a" / "b.txt"]
    assert (tmp_path / "a" / "b.txt").read_bytes() == b"x"


def test_template_folders_exist() -> None:
    assert (migrations_template() / "migrations" / "env.py.jinja").is_file()
    assert (migrations_template() / "migrations" / "script.py.mako").is_file()
    assert project_templates().is_dir()
    assert entity_templates().is_dir()


def test_import_block_sections_and_order() -> None:
    block = import_block(
        [
            ("sqlalchemy.orm", "mapped_column"),
            ("sqlalchemy.orm", "Mapped"),
            ("typing", "TYPE_CHECKING"),
            ("typing", "Any"),
            ("shop.models.category", "Category"),
            ("decimal", "Decimal"),
            ("sqlalchemy", "JSON"),
            ("sqlalchemy", "BigInteger"),
        ],
        first_party=("shop", "tests"),
    )
    assert block == (
        "from decimal import Decimal\n"
        "from typing import TYPE_CHECKING, Any\n"
        "\n"
        "from sqlalchemy import JSON, BigInteger\n"
        "from sqlalchemy.orm import Mapped, mapped_column\n"
        "\n"
        "from shop.models.category import Category"
    )


def test_long_imports_wrap_one_name_per_line() -> None:
    names = [f"Name{i:02d}" for i in range(12)]
    text = from_import("package.module", names)
    assert text.splitlines()[0] == "from package.module import ("
    assert text.splitlines()[1] == "    Name00,"
    assert text.endswith("\n)")
