"""Dependencies (issue 8, defect 9): python-jose past its CVEs, behind one module; `make audit`."""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.version import Version

from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[3]
AUDIT = REPO / ".ci" / "audit"


def _audit_module() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("fastmvc_audit_script", str(AUDIT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_python_jose_is_pinned_past_cve_2024_33663_and_33664() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (jose,) = [
        Requirement(line)
        for line in project["dependencies"]
        if Requirement(line).name == "python-jose"
    ]
    assert Version("3.3.0") not in jose.specifier
    assert Version("3.4.0") in jose.specifier
    assert Version(version("python-jose")) >= Version("3.4.0")


def test_only_the_tokens_module_imports_jose() -> None:
    importers = set()
    for root in (REPO / "fastmvc", REPO / "cli" / "fastmvc_cli"):
        for path in root.rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(name == "jose" or name.startswith("jose.") for name in names):
                    importers.add(path.relative_to(REPO).as_posix())
    assert importers == {"fastmvc/security/tokens.py"}


def test_make_audit_runs_the_audit_script() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "\naudit: " in makefile
    assert "$(BIN)/python .ci/audit" in makefile
    assert os.access(AUDIT, os.X_OK)


def test_an_unreachable_advisory_database_is_a_loud_skip() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    env = os.environ | {"HTTPS_PROXY": closed, "https_proxy": closed, "NO_PROXY": ""}
    done = subprocess.run(
        [sys.executable, str(AUDIT)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("AUDIT SKIPPED: the advisory database cannot be reached")
    assert "Nothing was audited." in done.stdout


def test_the_summary_never_passes_silently() -> None:
    summarize = _audit_module().summarize
    not_found = "Dependency not found on PyPI and could not be audited: x (1.0)"
    status, lines = summarize(
        {"dependencies": [{"name": "x", "skip_reason": not_found}], "fixes": []}
    )
    assert status == 0
    assert lines[0].startswith("AUDIT SKIPPED") and "Nothing was audited" in lines[0]

    vulnerable = {
        "name": "python-jose",
        "version": "3.3.0",
        "vulns": [{"id": "PYSEC-2024-232", "fix_versions": ["3.4.0"]}],
    }
    clean = {"name": "fastapi", "version": "1.0", "vulns": []}
    status, lines = summarize({"dependencies": [vulnerable, clean], "fixes": []})
    assert status == 1
    assert "VULNERABLE python-jose 3.3.0: PYSEC-2024-232 (fixed in 3.4.0)" in lines
    assert lines[-1] == "audited 2 packages: 1 vulnerable"

    status, lines = summarize({"dependencies": [clean], "fixes": []})
    assert (status, lines) == (0, ["audited 1 packages: no known vulnerabilities"])
