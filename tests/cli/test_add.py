"""`fastmvc add entity`: the files it writes, the registries it edits, what it refuses."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import Result, assert_user_error, invoke, snapshot


@pytest.fixture
def in_project(project: Path) -> Iterator[Path]:
    """Stand inside the project, as a user would."""
    previous = Path.cwd()
    os.chdir(project)
    try:
        yield project
    finally:
        os.chdir(previous)


def add(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return invoke(["add", "entity", *args], capsys)


def test_writes_every_layer(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(capsys, "Category", "name:str:unique").code == 0
    result = add(
        capsys, "Product", "name:str", "price:decimal", "stock:int", "note:text?",
        "category:references",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    package = in_project / "shop"
    for relative in [
        "models/product.py",
        "repositories/product.py",
        "services/product.py",
        "controllers/product.py",
        "dtos/requests/product.py",
        "dtos/responses/product.py",
    ]:
        assert (package / relative).is_file(), relative
    assert (in_project / "tests" / "test_product.py").is_file()
    assert (in_project / "tests" / "factories" / "product.py").is_file()
    model = (package / "models" / "product.py").read_text()
    assert (
        'category_id: Mapped[int] = mapped_column(\n        sa.BigInteger, sa.ForeignKey("categories.id")'
        in model
    )
    assert "note: Mapped[str | None] = mapped_column(sa.Text)" in model
    assert "price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))" in model
    registry = (package / "routers.py").read_text()
    assert "from shop.controllers import category, product" in registry
    assert registry.index("category.router") < registry.index("product.router")
    models = (package / "models" / "__init__.py").read_text()
    assert '__all__ = ["Category", "Product", "User"]' in models


def test_migration_chains_after_the_head(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    versions = in_project / "migrations" / "versions"
    (users,) = versions.glob("*_create_users_table.py")
    assert add(capsys, "Category", "name:str").code == 0
    assert add(capsys, "Product", "category:references").code == 0
    (categories,) = versions.glob("*_create_categories_table.py")
    (products,) = versions.glob("*_create_products_table.py")

    def ids(path: Path) -> tuple[str, str | None]:
        values = {
            node.target.id: ast.literal_eval(node.value)
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value
        }
        return values["revision"], values["down_revision"]

    assert ids(categories)[1] == ids(users)[0]
    assert ids(products)[1] == ids(categories)[0]


def test_public_and_soft_delete(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(capsys, "Post", "title:str", "--public", "--soft-delete").code == 0
    controller = (in_project / "shop" / "controllers" / "post.py").read_text()
    assert "read_policy = Policy.PUBLIC" in controller
    assert "write_policy = Policy.USER" in controller  # --public no longer opens writes
    model = (in_project / "shop" / "models" / "post.py").read_text()
    assert "class Post(SoftDeleteMixin, Entity):" in model
    (migration,) = (in_project / "migrations" / "versions").glob("*_create_posts_table.py")
    assert '"deleted_at"' in migration.read_text()
    tests = (in_project / "tests" / "test_post.py").read_text()
    assert "test_routes_need_a_bearer_token" not in tests
    assert "test_writes_need_a_bearer_token" in tests


def test_owned_entity_has_an_owner_column_and_policy_tests(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(capsys, "Note", "body:text", "--owned").code == 0
    package = in_project / "shop"
    controller = (package / "controllers" / "note.py").read_text()
    assert "read_policy = Policy.OWNER" in controller
    assert "write_policy = Policy.OWNER" in controller
    assert "class Note(OwnedMixin, Entity):" in (package / "models" / "note.py").read_text()
    assert "    owner_id: int" in (package / "dtos" / "responses" / "note.py").read_text()
    assert "owner_id" not in (package / "dtos" / "requests" / "note.py").read_text()
    (migration,) = (in_project / "migrations" / "versions").glob("*_create_notes_table.py")
    text = migration.read_text()
    assert (
        '"owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False' in text
    )
    assert 'op.f("fk_notes_owner_id_users")' in text
    assert 'op.create_index(op.f("ix_notes_owner_id"), "notes", ["owner_id"], unique=False)' in text
    tests = (in_project / "tests" / "test_note.py").read_text()
    for name in (
        "test_another_user_gets_404_on_every_verb",
        "test_an_admin_reads_and_changes_every_row",
        "test_the_owner_comes_from_the_token_not_the_body",
        "test_routes_need_a_bearer_token",
    ):
        assert f"async def {name}(" in tests


def test_read_and_write_policies(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(capsys, "Product", "name:str", "--public", "--write", "admin").code == 0
    controller = (in_project / "shop" / "controllers" / "product.py").read_text()
    assert "read_policy = Policy.PUBLIC" in controller
    assert "write_policy = Policy.ADMIN" in controller
    tests = (in_project / "tests" / "test_product.py").read_text()
    assert "async def test_writes_are_for_admins(" in tests
    assert "def headers(admin_headers" in tests
    assert "OwnedMixin" not in (in_project / "shop" / "models" / "product.py").read_text()


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--write", "public"], "writes always need a token"),
        (["--read", "everyone"], "choose one of public, user, owner, admin"),
        (["--public", "--owned"], "contradict"),
        (["--public", "--read", "admin"], "--public means --read public"),
        (["--owned", "--write", "admin"], "--owned means --read owner --write owner"),
    ],
)
def test_contradictory_or_unknown_policies_are_refused(
    in_project: Path, capsys: pytest.CaptureFixture[str], flags: list[str], fragment: str
) -> None:
    before = snapshot(in_project)
    assert_user_error(add(capsys, "Thing", "name:str", *flags), fragment)
    assert snapshot(in_project) == before


def test_no_tests_and_no_migration(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = set(snapshot(in_project))
    assert add(capsys, "Tag", "label:str", "--no-tests", "--no-migration").code == 0
    added = set(snapshot(in_project)) - before
    assert not [p for p in added if p.startswith(("tests/", "migrations/"))]
    assert "shop/models/tag.py" in added


def test_every_type_renders_code_that_passes_ruff(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(capsys, "Category", "name:str").code == 0
    specs = [
        "title:str:unique", "body:text?", "count:int:index", "big:bigint", "ratio:float?",
        "price:decimal", "active:bool", "born:date?", "seen_at:datetime", "token:uuid:unique",
        "extra:json?", "category:references?",
    ]  # fmt: skip
    assert add(capsys, "Everything", *specs).code == 0
    _ruff_passes(in_project)
    for path in in_project.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))


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


@pytest.mark.slow
def test_ordinary_names_make_working_code(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = [
        "text:text", "date:date", "uuid:uuid:unique", "decimal:decimal", "type:str:index",
        "status:str?", "extra:json?", "datetime:datetime?", "string:str",
    ]  # fmt: skip
    assert add(capsys, "Entry", *specs, "--soft-delete").code == 0
    model = (in_project / "shop" / "models" / "entry.py").read_text()
    assert "    date: Mapped[dt.date] = mapped_column(sa.Date)\n" in model
    assert "    uuid: Mapped[UUID] = mapped_column(sa.Uuid)\n" in model
    assert "live_unique_index(Entry.uuid)" in model
    _ruff_passes(in_project)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_entry.py"],
        cwd=in_project,
        env={k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST_"))},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (
        "test_uuid_is_unique_among_live_rows"
        in (in_project / "tests" / "test_entry.py").read_text()
    )


def test_force_rewrites_in_place(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(capsys, "Tag", "label:str").code == 0
    versions = in_project / "migrations" / "versions"
    (first,) = versions.glob("*_create_tags_table.py")
    assert add(capsys, "Tag", "label:str", "color:str?", "--force").code == 0
    (second,) = versions.glob("*_create_tags_table.py")
    assert first == second
    assert '"color"' in second.read_text()
    registry = (in_project / "shop" / "routers.py").read_text()
    assert registry.count("tag.router") == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["Product", "price:money"], "unknown type 'money'"),
        (["Product", "price"], "is not NAME:TYPE"),
        (["Product", "price:int:primary"], "unknown modifier"),
        (["Product", "id:int"], "reserved"),
        (["Product", "urn:str"], "reserved"),
        (["Product", "created_at:datetime"], "reserved"),
        (["Product", "version:int"], "reserved"),
        (["Product", "metadata:json"], "reserved"),
        (["Product", "registry:str"], "reserved"),
        (["Product", "include:str"], "reserved"),
        (["Product", "owner_id:int"], "reserved"),
        (["Product", "class:str"], "keyword"),
        (["Product", "Name:str"], "not a valid field name"),
        (["Product", "name:str", "name:text"], "given twice"),
        (["Product", "brand:references"], "there is no Brand entity"),
        (["Product", "maker:references:Brand"], "there is no Brand entity"),
        (["Product", "tags:many:Tag"], "there is no Tag entity"),
        (["Product", "tags:many"], "a many field names its target"),
        (["Product", "maker:references:1Brand"], "'1Brand' is not a valid target entity"),
        (["Category", "parent:references:Category"], "a self-reference must be nullable"),
        (["User", "nick:str"], "reserved: the auth module owns the User model"),
        (["1Product", "name:str"], "entity name '1Product' is not valid"),
        (["class", "name:str"], "keyword"),
    ],
)
def test_refusals_change_nothing(
    args: list[str], fragment: str, in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(in_project)
    assert_user_error(add(capsys, *args), fragment)
    assert snapshot(in_project) == before


def test_refuses_a_duplicate_entity(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(capsys, "Product", "name:str").code == 0
    before = snapshot(in_project)
    assert_user_error(add(capsys, "Product", "name:str"), "entity Product already exists")
    assert snapshot(in_project) == before


def test_refuses_to_overwrite_a_stray_file(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_project / "tests" / "test_product.py").write_text("# mine\n")
    before = snapshot(in_project)
    assert_user_error(add(capsys, "Product", "name:str"), "tests/test_product.py already exists")
    assert snapshot(in_project) == before


def test_refuses_a_hand_broken_registry(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_project / "shop" / "routers.py").write_text('"""Hand edited."""\n\nROUTES = []\n')
    before = snapshot(in_project)
    assert_user_error(add(capsys, "Product", "name:str"), "has no `routers = [...]` list")
    assert snapshot(in_project) == before


def test_refuses_outside_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = add(capsys, "Product", "name:str")
    finally:
        os.chdir(previous)
    assert_user_error(result, "not inside a FastMVC project")
    assert list(tmp_path.iterdir()) == []
