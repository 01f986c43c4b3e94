"""`fastmvc new`: what it writes and what it refuses."""

from __future__ import annotations

import ast
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fastmvc.settings import Settings
from tests.cli.support import assert_user_error, invoke, snapshot


def _env(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    )
    return {key: value for key, value in pairs}


def test_layout(pristine_project: Path) -> None:
    root = pristine_project
    for relative in [
        "shop/__init__.py",
        "shop/main.py",
        "shop/settings.py",
        "shop/routers.py",
        "shop/models/__init__.py",
        "shop/models/user.py",
        "shop/repositories/__init__.py",
        "shop/services/__init__.py",
        "shop/controllers/__init__.py",
        "shop/dtos/requests/__init__.py",
        "shop/dtos/responses/__init__.py",
        "migrations/env.py",
        "migrations/script.py.mako",
        "alembic.ini",
        "tests/conftest.py",
        "tests/test_auth.py",
        ".env",
        ".env.example",
        ".gitignore",
        "README.md",
        "Dockerfile",
        "docker-compose.yml",
    ]:
        assert (root / relative).is_file(), relative
    assert len(list((root / "migrations" / "versions").glob("*_create_users_table.py"))) == 1


def test_pyproject_names_the_app(pristine_project: Path) -> None:
    config = tomllib.loads((pristine_project / "pyproject.toml").read_text())
    assert config["tool"]["fastmvc"]["app"] == "shop.main:app"
    assert config["project"]["name"] == "shop"
    assert "ruff" in config["tool"]
    assert config["tool"]["pytest"]["ini_options"]["asyncio_mode"] == "auto"


def test_env_has_a_fresh_random_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("one", "two"):
        result = invoke(["new", name, "--output-dir", str(tmp_path), "--no-git"], capsys)
        assert result.code == 0, result.stderr
    first = _env(tmp_path / "one" / ".env")["JWT_SECRET_KEY"]
    second = _env(tmp_path / "two" / ".env")["JWT_SECRET_KEY"]
    assert first != second
    assert len(first.encode()) >= 48
    # The secret passes the production guardrails of fastmvc.settings.
    Settings(environment="production", jwt_secret_key=first, redis_url="redis://x:6379/0")
    example = _env(tmp_path / "one" / ".env.example")
    assert example["JWT_SECRET_KEY"] == "change-me"
    assert first not in (tmp_path / "one" / ".env.example").read_text()


def test_env_is_readable_by_its_owner_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 8, defect 8: .env (with the JWT secret) was written 0644.
    result = invoke(["new", "shop", "--output-dir", str(tmp_path), "--no-git"], capsys)
    assert result.code == 0, result.stderr
    env = tmp_path / "shop" / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "shop" / ".env.example").stat().st_mode) != 0o600
    # --force over an existing, too-open .env tightens it again.
    env.chmod(0o644)
    again = invoke(["new", "shop", "--output-dir", str(tmp_path), "--no-git", "--force"], capsys)
    assert again.code == 0, again.stderr
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_env_names_are_settings_fields(pristine_project: Path) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for env_file in (".env", ".env.example"):
        assert set(_env(pristine_project / env_file)) <= fields, env_file


def test_generated_python_parses_and_passes_ruff(pristine_project: Path) -> None:
    for path in pristine_project.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=pristine_project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_generate_is_an_alias(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(["generate", "blog", "--output-dir", str(tmp_path), "--no-git"], capsys)
    assert result.code == 0, result.stderr
    assert (tmp_path / "blog" / "blog" / "main.py").is_file()


def test_git_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(["new", "blog", "--output-dir", str(tmp_path)], capsys)
    assert result.code == 0, result.stderr
    assert (tmp_path / "blog" / ".git").is_dir()


def test_force_writes_into_a_non_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "notes.txt").write_text("mine")
    result = invoke(["new", "blog", "-o", str(tmp_path), "--no-git", "--force"], capsys)
    assert result.code == 0, result.stderr
    assert (tmp_path / "blog" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "blog" / "blog" / "main.py").is_file()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("my-shop", "not a valid Python identifier"),
        ("class", "keyword"),
        ("json", "standard-library"),
        ("pydantic", "installed module"),
        ("Shop", "snake_case"),
    ],
)
def test_refuses_bad_names(
    name: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = invoke(["new", name, "--output-dir", str(tmp_path), "--no-git"], capsys)
    assert_user_error(result, fragment)
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_non_empty_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    result = invoke(["new", "blog", "--output-dir", str(tmp_path), "--no-git"], capsys)
    assert_user_error(result, "is not empty; pass --force")
    assert snapshot(tmp_path) == before


def test_refuses_a_file_as_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blog").write_text("a file")
    before = snapshot(tmp_path)
    result = invoke(["new", "blog", "--output-dir", str(tmp_path), "--no-git"], capsys)
    assert_user_error(result, "is not a folder")
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_venv_option_creates_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = invoke(["new", "blog", "--output-dir", str(tmp_path), "--no-git", "--venv"], capsys)
    assert result.code == 0, result.stderr
    python = tmp_path / "blog" / ".venv" / "bin" / "python"
    assert python.is_file()
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == str(tmp_path / "blog" / ".venv")


def test_readme_is_the_projects_own(pristine_project: Path) -> None:
    readme = (pristine_project / "README.md").read_text()
    assert readme.startswith("# shop\n")
    for command in ("fastmvc migrate upgrade", "fastmvc run", "pytest", "fastmvc migrate check"):
        assert command in readme, command
    assert "## Entities\n\n- none yet" in readme
    assert "migrations_template" not in readme
    assert "The Alembic setup" not in readme
    assert not (pristine_project / "migrations" / "README.md").exists()


def test_ships_a_user_factory(pristine_project: Path) -> None:
    factory = (pristine_project / "tests" / "factories" / "user.py").read_text()
    assert "async def create_user(client: AsyncClient, headers: dict[str, str])" in factory
    assert '"/auth/register"' in factory


def test_next_steps_fit_any_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(["new", "blog", "--output-dir", str(tmp_path), "--no-git"], capsys)
    assert result.code == 0
    assert "Product" not in result.stdout
    assert "fastmvc add entity NAME FIELD:TYPE" in result.stdout
