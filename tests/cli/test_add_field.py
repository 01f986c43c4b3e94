"""`fastmvc add field`: the lines it inserts, the migration it chains, what it refuses."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import Result, assert_user_error, invoke, run_cli, snapshot


@pytest.fixture
def in_project(project: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """Stand inside a project that has a soft-deleted Post and a Tag."""
    previous = Path.cwd()
    os.chdir(project)
    try:
        assert invoke(["add", "entity", "Tag", "name:str"], capsys).code == 0
        assert invoke(["add", "entity", "Post", "title:str", "--soft-delete"], capsys).code == 0
        yield project
    finally:
        os.chdir(previous)


def add_field(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return invoke(["add", "field", *args], capsys)


def _revisions(project: Path) -> dict[str, tuple[str, str | None]]:
    found = {}
    for path in (project / "migrations" / "versions").glob("*.py"):
        values = {
            node.target.id: ast.literal_eval(node.value)
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value
        }
        found[path.name] = (values["revision"], values["down_revision"])
    return found


def _ruff_passes(project: Path) -> None:
    for command in (["check"], ["format", "--check"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_adds_a_field_to_every_module(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = add_field(capsys, "Post", "slug:str:unique", "published:date?", "views:int")
    assert result.code == 0, result.stderr
    assert "views is nullable in the database so existing rows survive" in " ".join(
        result.stdout.split()
    )
    package = in_project / "shop"
    model = (package / "models" / "post.py").read_text()
    assert "    slug: Mapped[str | None] = mapped_column(sa.String(255))\n" in model
    assert "    published: Mapped[dt.date | None] = mapped_column(sa.Date)\n" in model
    assert model.rstrip().endswith("live_unique_index(Post.slug)")
    assert "import datetime as dt\n" in model
    requests = (package / "dtos" / "requests" / "post.py").read_text()
    create, update = requests.split("class PostUpdate")
    assert "    slug: String255\n" in create
    assert "    views: Int32\n" in create  # required in new bodies
    assert update.index("    views: Int32 = omitted()") < update.index("    version: Version")
    out = (package / "dtos" / "responses" / "post.py").read_text()
    assert out.index("    views: int | None\n") < out.index("    created_at: dt.datetime")
    factory = (in_project / "tests" / "factories" / "post.py").read_text()
    assert '"slug": f"slug-{n}",' in factory and '"published": "2024-01-01",' in factory
    tests = (in_project / "tests" / "test_post.py").read_text()
    assert "async def test_slug_is_unique_among_live_rows(" in tests
    revisions = _revisions(in_project)
    (added,) = [name for name in revisions if "_add_slug_published_views_to_posts" in name]
    (posts,) = [name for name in revisions if name.endswith("_create_posts_table.py")]
    assert revisions[added][1] == revisions[posts][0]
    migration = (in_project / "migrations" / "versions" / added).read_text()
    assert 'op.add_column("posts", sa.Column("views", sa.Integer(), nullable=True))' in migration
    assert 'postgresql_where=sa.text("deleted_at IS NULL")' in migration
    readme = (in_project / "README.md").read_text()
    assert (
        "- **Post** at `/posts`: `title` (str), `slug` (str, unique), `published`? (date)" in readme
    )
    _ruff_passes(in_project)


def test_default_makes_a_required_column(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add_field(capsys, "Post", "views:int", "--default", "0").code == 0
    assert add_field(capsys, "Post", "draft:bool", "--default", "true").code == 0
    model = (in_project / "shop" / "models" / "post.py").read_text()
    assert 'views: Mapped[int] = mapped_column(sa.Integer, server_default="0")' in model
    assert "draft: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())" in model
    versions = in_project / "migrations" / "versions"
    (migration,) = versions.glob("*_add_views_to_posts.py")
    assert 'sa.Column("views", sa.Integer(), nullable=False, server_default="0")' in (
        migration.read_text()
    )
    out = (in_project / "shop" / "dtos" / "responses" / "post.py").read_text()
    assert "    views: int\n" in out
    _ruff_passes(in_project)


def test_adds_relations(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = add_field(capsys, "Post", "editor:references?:User", "labels:many:Tag")
    assert result.code == 0, result.stderr
    model = (in_project / "shop" / "models" / "post.py").read_text()
    assert model.index("post_labels = sa.Table(") < model.index("class Post(")
    assert "    from shop.models.tag import Tag\n    from shop.models.user import User\n" in model
    assert 'relationship(secondary=post_labels, lazy="raise")' in model
    out = (in_project / "shop" / "dtos" / "responses" / "post.py").read_text()
    assert "    editor: UserOut | None = None\n    labels: list[TagOut] | None = None\n" in out
    (migration,) = (in_project / "migrations" / "versions").glob("*_add_editor_labels_to_posts.py")
    text = migration.read_text()
    assert '"post_labels",' in text and "batch_op.create_foreign_key(" in text
    tests = (in_project / "tests" / "test_post.py").read_text()
    assert "async def test_label_ids_are_replaced_as_a_set(" in tests
    assert "from tests.factories.tag import create_tag" in tests
    _ruff_passes(in_project)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["Nope", "x:int"], "there is no Nope entity"),
        (["Post"], "give at least one field"),
        (["Post", "title:str"], "'title' is given twice"),
        (["Post", "version:int"], "reserved"),
        (["Post", "a:int", "b:int", "--default", "1"], "--default applies to one field"),
        (["Post", "views:int", "--default", "many"], "--default 'many' is not a valid int"),
        (["Post", "author:references:User", "--default", "1"], "does not apply to references"),
        (["Post", "maker:references:Brand"], "there is no Brand entity"),
    ],
)
def test_refusals_change_nothing(
    args: list[str], fragment: str, in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(in_project)
    assert_user_error(add_field(capsys, *args), fragment)
    assert snapshot(in_project) == before


@pytest.mark.slow
def test_added_fields_migrate_both_ways(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["migrate", "upgrade"], in_project).code == 0
    assert add_field(capsys, "Post", "views:int", "--default", "0").code == 0
    assert add_field(capsys, "Post", "slug:str:unique", "editor:references?:User").code == 0
    assert add_field(capsys, "Post", "labels:many:Tag").code == 0
    for args in (["upgrade"], ["check"], ["downgrade", "-3"], ["upgrade"], ["check"]):
        done = run_cli(["migrate", *args], in_project)
        assert done.code == 0, done.stdout + done.stderr
