"""Running the CLI in tests: in process (fast) or as a subprocess (isolated)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastmvc_cli.main import main


@dataclass(frozen=True)
class Result:
    """What one CLI run did."""

    code: int
    stdout: str
    stderr: str


def invoke(args: list[str], capsys: pytest.CaptureFixture[str]) -> Result:
    """Run ``fastmvc ARGS`` in this process (for commands that import no project code)."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return Result(code, out, err)


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """Run ``python -m fastmvc_cli ARGS`` in a subprocess of this interpreter."""
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    environment.pop("DATABASE_URL", None)
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content, to prove nothing changed."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def assert_user_error(result: Result, fragment: str) -> None:
    """Exit 2 and exactly one ``Error: …`` line on stderr that mentions ``fragment``."""
    lines = result.stderr.splitlines()
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
