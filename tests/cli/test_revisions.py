"""Finding the migration head from the version files, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastmvc_cli.errors import UserError
from fastmvc_cli.revisions import current_head, new_revision_id, read_revisions


def _write(folder: Path, revision: str, down: str | None) -> None:
    down_literal = "None" if down is None else repr(down)
    (folder / f"{revision}_x.py").write_text(
        f'"""x."""\nrevision: str = {revision!r}\ndown_revision = {down_literal}\n'
    )


def test_empty_folder_has_no_head(tmp_path: Path) -> None:
    assert current_head(tmp_path) is None


def test_follows_the_chain(tmp_path: Path) -> None:
    _write(tmp_path, "aaa", None)
    _write(tmp_path, "ccc", "bbb")
    _write(tmp_path, "bbb", "aaa")
    assert read_revisions(tmp_path) == {"aaa": (), "bbb": ("aaa",), "ccc": ("bbb",)}
    assert current_head(tmp_path) == "ccc"


def test_merge_revision_has_two_parents(tmp_path: Path) -> None:
    _write(tmp_path, "aaa", None)
    _write(tmp_path, "bbb", "aaa")
    _write(tmp_path, "ccc", "aaa")
    (tmp_path / "ddd_merge.py").write_text('revision = "ddd"\ndown_revision = ("bbb", "ccc")\n')
    assert current_head(tmp_path) == "ddd"


def test_two_heads_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "aaa", None)
    _write(tmp_path, "bbb", "aaa")
    _write(tmp_path, "ccc", "aaa")
    with pytest.raises(UserError, match="2 heads"):
        current_head(tmp_path)


def test_unparsable_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("revision = (\n")
    with pytest.raises(UserError, match="cannot parse migration"):
        current_head(tmp_path)


def test_revision_ids_look_like_alembic_ones() -> None:
    first, second = new_revision_id(), new_revision_id()
    assert first != second
    assert len(first) == 12
    int(first, 16)
