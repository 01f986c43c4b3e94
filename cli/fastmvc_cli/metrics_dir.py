"""The shared metrics directory of a multi-worker ``fastmvc run``.

prometheus-client sums counters over worker processes through memory-mapped
files in ``PROMETHEUS_MULTIPROC_DIR``. The variable must be set before a
worker imports prometheus-client, and the directory must start empty (old
files would add a previous run's counts), so ``fastmvc run`` makes a fresh
one for each run and removes it afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MULTIPROC_DIR_ENV", "multiprocess_metrics_dir"]

# The name prometheus-client reads; kept here so the CLI need not import it.
MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics_dir(workers: int | None) -> Iterator[str | None]:
    """Give the workers of this run a fresh shared metrics directory.

    Nothing happens with one worker, or when the user set
    ``PROMETHEUS_MULTIPROC_DIR`` (their directory, their cleanup).

    Yields:
        The directory in use, or ``None``.
    """
    if not workers or workers < 2:
        yield None
        return
    if os.environ.get(MULTIPROC_DIR_ENV):
        yield os.environ[MULTIPROC_DIR_ENV]
        return
    directory = tempfile.mkdtemp(prefix="fastmvc-metrics-")
    os.environ[MULTIPROC_DIR_ENV] = directory
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROC_DIR_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
