"""`fastmvc run --workers N` gives its workers a fresh, private metrics directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fastmvc_cli.metrics_dir import MULTIPROC_DIR_ENV, multiprocess_metrics_dir


@pytest.mark.parametrize("workers", [None, 1])
def test_one_worker_needs_no_directory(
    workers: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    with multiprocess_metrics_dir(workers) as directory:
        assert directory is None
        assert MULTIPROC_DIR_ENV not in os.environ


def test_several_workers_share_a_fresh_directory_removed_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROC_DIR_ENV, raising=False)
    with multiprocess_metrics_dir(2) as directory:
        assert directory is not None
        assert os.environ[MULTIPROC_DIR_ENV] == directory
        assert list(Path(directory).iterdir()) == []
        (Path(directory) / "counter_1.db").write_bytes(b"x")
    assert MULTIPROC_DIR_ENV not in os.environ
    assert not Path(directory).exists()


def test_a_directory_the_user_chose_is_used_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROC_DIR_ENV, str(tmp_path))
    with multiprocess_metrics_dir(4) as directory:
        assert directory == str(tmp_path)
    assert os.environ[MULTIPROC_DIR_ENV] == str(tmp_path)
    assert tmp_path.exists()
