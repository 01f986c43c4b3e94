"""The compose files, checked by a real compose implementation's own validator.

The parse tests in ``test_compose.py`` check what we care about (pinned images,
healthchecks, settings names); ``docker-compose config`` checks that Compose
itself accepts the file: the schema, interpolation, ``depends_on`` conditions,
build contexts. It needs no Docker engine. ``make test`` installs it from
Debian's ``docker-compose`` package.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.availability import unavailable

REPO = Path(__file__).resolve().parents[2]


def _validate(compose_file: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("docker-compose")
    if executable is None:
        unavailable("docker-compose is not installed (make test installs it)")
    return subprocess.run(
        [
            *(executable, "--project-directory", str(compose_file.parent)),
            *("-f", str(compose_file), "config"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("which", ["framework", "generated"])
def test_docker_compose_config_accepts_the_file(which: str, pristine_project: Path) -> None:
    compose_file = (
        REPO / "docker" / "compose.yaml"
        if which == "framework"
        else pristine_project / "docker-compose.yml"
    )
    checked = _validate(compose_file)
    assert checked.returncode == 0, checked.stderr
    # What compose resolved is the app with its database and Redis.
    resolved = yaml.safe_load(checked.stdout)
    services = set(resolved["services"])
    assert "app" in services and "redis" in services
    assert services & {"postgres", "db"}


def test_docker_compose_config_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  app:\n    image: python:3.11-slim\n    ports: 8000\n")
    checked = _validate(broken)
    assert checked.returncode != 0
    assert "ports" in checked.stderr
