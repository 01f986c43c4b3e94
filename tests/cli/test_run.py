"""``fastmvc run --server``: a server that is not installed is one user error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.support import Result, assert_user_error
from tests.support.net import free_port

# Runs the CLI with Granian unimportable, as after `pip install pyfastmvc` alone.
WITHOUT_GRANIAN = (
    "import sys; sys.modules['granian'] = None; "
    "from fastmvc_cli.main import main; main(sys.argv[1:])"
)


def test_granian_not_installed_is_one_line(project: Path) -> None:
    port = str(free_port())
    done = subprocess.run(
        [
            *(sys.executable, "-c", WITHOUT_GRANIAN),
            *("run", "--server", "granian", "--no-reload", "--port", port),
        ],
        cwd=project,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = Result(done.returncode, done.stdout, done.stderr)
    assert_user_error(result, "pip install 'pyfastmvc[granian]'")
    assert "Serving" not in result.stdout
