"""`fastmvc --version` is fast: it imports no database, migration or server code."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

HEAVY = ("sqlalchemy", "alembic", "uvicorn", "fastmvc.db", "asyncpg", "aiosqlite")

PROBE = """
import json, sys
from fastmvc_cli.main import main
try:
    main(["--version"])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_version_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fastmvc_cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"fastmvc, version {version('pyfastmvc')}\n"


def test_version_imports_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0
    loaded = [m for m in report["modules"] if m.startswith(HEAVY)]
    assert loaded == []
    # The probe really sees imports: the CLI itself is there.
    assert "fastmvc_cli.commands.migrate" in report["modules"]


def test_help_has_examples() -> None:
    for args in (
        [],
        ["new"],
        ["add", "entity"],
        ["migrate", "upgrade"],
        ["migrate", "downgrade"],
        ["migrate", "generate"],
        ["migrate", "check"],
        ["run"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "fastmvc_cli", *args, "--help"],
            capture_output=True,
            text=True,
            check=False,
            env={"COLUMNS": "200", "NO_COLOR": "1", "PATH": ""},
        )
        assert done.returncode == 0, (args, done.stderr)
        assert "Example" in done.stdout, args
