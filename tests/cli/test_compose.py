"""The compose files: healthchecks, pinned images, one port, real settings names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from fastmvc.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _compose_files(pristine_project: Path) -> list[tuple[Path, Path]]:
    return [
        (REPO / "docker" / "compose.yaml", REPO / "docker" / "Dockerfile"),
        (pristine_project / "docker-compose.yml", pristine_project / "Dockerfile"),
    ]


@pytest.fixture(params=["framework", "generated"])
def compose(request: pytest.FixtureRequest, pristine_project: Path) -> tuple[dict[str, Any], str]:
    compose_path, dockerfile = _compose_files(pristine_project)[
        0 if request.param == "framework" else 1
    ]
    return yaml.safe_load(compose_path.read_text()), dockerfile.read_text()


def _command_text(command: Any) -> str:
    return " ".join(command) if isinstance(command, list) else str(command)


def _dockerfile_cmd(dockerfile: str) -> str:
    (line,) = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    return line


def test_every_service_has_a_healthcheck(compose: tuple[dict[str, Any], str]) -> None:
    services = compose[0]["services"]
    assert set(services) >= {"app"}
    assert len(services) == 3
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"


def test_images_are_pinned(compose: tuple[dict[str, Any], str]) -> None:
    services, dockerfile = compose
    images = [s["image"] for s in services["services"].values() if "image" in s]
    images += re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert images
    for image in images:
        _, _, tag = image.partition(":")
        assert tag and tag != "latest", image
        assert re.search(r"\d", tag), image
    assert any(image.startswith("postgres:16") for image in images)
    assert any(image.startswith("redis:7") for image in images)
    assert any(image.startswith("python:3.11") for image in images)


def test_one_port_everywhere(compose: tuple[dict[str, Any], str]) -> None:
    services, dockerfile = compose
    app = services["services"]["app"]
    (exposed,) = re.findall(r"^EXPOSE (\d+)$", dockerfile, flags=re.MULTILINE)
    published = [str(p).split(":")[-1] for p in app["ports"]]
    assert published == [exposed]
    for command in (_command_text(app.get("command", "")), _dockerfile_cmd(dockerfile)):
        ports = re.findall(r'--port"?,?\s*"?(\d+)', command)
        assert ports == [exposed], command
        assert "--no-reload" in command
        assert "0.0.0.0" in command
    health = _command_text(app["healthcheck"]["test"])
    assert f":{exposed}/health/" in health


def test_app_waits_for_healthy_dependencies(compose: tuple[dict[str, Any], str]) -> None:
    services = compose[0]["services"]
    depends = services["app"]["depends_on"]
    others = set(services) - {"app"}
    assert set(depends) == others
    assert all(condition["condition"] == "service_healthy" for condition in depends.values())


def test_app_environment_names_are_settings(compose: tuple[dict[str, Any], str]) -> None:
    environment = compose[0]["services"]["app"]["environment"]
    names = (
        set(environment)
        if isinstance(environment, dict)
        else {item.split("=", 1)[0] for item in environment}
    )
    fields = {field.upper() for field in Settings.model_fields}
    assert names <= fields, names - fields
    assert {"DATABASE_URL", "REDIS_URL", "JWT_SECRET_KEY"} <= names


def test_app_urls_point_at_the_compose_services(compose: tuple[dict[str, Any], str]) -> None:
    services = compose[0]["services"]
    environment = services["app"]["environment"]
    database_host = re.search(r"@([\w-]+):5432/", environment["DATABASE_URL"])
    redis_host = re.search(r"redis://([\w-]+):6379", environment["REDIS_URL"])
    assert database_host and database_host.group(1) in services
    assert redis_host and redis_host.group(1) in services


def test_dockerfile_runs_as_a_non_root_user(compose: tuple[dict[str, Any], str]) -> None:
    dockerfile = compose[1]
    users = re.findall(r"^USER (\S+)$", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_generated_image_runs_in_production(pristine_project: Path) -> None:
    # Issue 8, defect 1: the image is built without .env, so it must not run as development.
    dockerfile = (pristine_project / "Dockerfile").read_text()
    env_lines = re.findall(r"^ENV ((?:.*\\\n)*.*)$", dockerfile, flags=re.MULTILINE)
    assert any(re.search(r"\bENVIRONMENT=production\b", block) for block in env_lines)
    assert ".env" in (pristine_project / ".dockerignore").read_text().split()


def test_compose_takes_the_secret_from_the_environment_with_no_default(
    compose: tuple[dict[str, Any], str],
) -> None:
    # ${JWT_SECRET_KEY} comes from the shell or from .env (compose reads both); a
    # written-in default would be a secret anyone can read in this repository.
    value = compose[0]["services"]["app"]["environment"]["JWT_SECRET_KEY"]
    match = re.fullmatch(r"\$\{JWT_SECRET_KEY(?::([?-])(.*))?\}", value)
    assert match, value
    operator, rest = match.groups()
    assert operator == "?" or rest == "", value
