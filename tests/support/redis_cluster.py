"""A private three-primary Redis Cluster on loopback ports, for the scale-out tests.

Three ``redis-server --cluster-enabled yes`` processes, joined with
``redis-cli --cluster create`` and no replicas, so killing a primary leaves
its slots uncovered: the case the documented failure rules describe.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.availability import unavailable
from tests.support.net import free_port
from tests.support.redis_server import ThrowawayRedis

PRIMARIES = 3
# How long a silent node takes to be marked failed: shorter than the default
# 15 s so the dead-primary test does not wait long, yet long enough that the
# test can see the window in which only the dead node's keys fail, even with
# a loaded machine slowing every step (at 1 s it sometimes could not).
NODE_TIMEOUT_MS = 5000
READY_TIMEOUT_SECONDS = 30.0


class ThrowawayCluster:
    """Three cluster-enabled redis-servers, started, joined and ended by the test."""

    def __init__(self) -> None:
        self.nodes = [
            ThrowawayRedis(
                extra_args=(
                    *("--cluster-enabled", "yes"),
                    *("--cluster-node-timeout", str(NODE_TIMEOUT_MS)),
                    # Each server keeps its nodes.conf in its own --dir, so a
                    # restarted primary rejoins with the slots it owned.
                    *("--cluster-config-file", "nodes.conf"),
                    # The bus port defaults to port + 10000, past 65535 for
                    # the high ports the OS hands out; pick one explicitly.
                    *("--cluster-port", str(free_port())),
                )
            )
            for _ in range(PRIMARIES)
        ]

    @property
    def nodes_setting(self) -> str:
        """The ``REDIS_CLUSTER_NODES`` value for this cluster."""
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self) -> None:
        """Start the servers, assign the 16384 slots and wait for ``cluster_state:ok``."""
        cli = shutil.which("redis-cli")
        if cli is None or shutil.which("redis-server") is None:
            unavailable("redis-server and redis-cli are needed for the Redis Cluster tests")
        for node in self.nodes:
            node.start()
        done = subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in self.nodes),
                *("--cluster-replicas", "0", "--cluster-yes"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            self.stop()
            pytest.fail(f"redis-cli --cluster create failed:\n{done.stdout}{done.stderr}")
        self.wait_for_state("ok", self.nodes)

    def state(self, node: ThrowawayRedis) -> str | None:
        """``cluster_state`` as ``node`` sees it, or ``None`` when it does not answer."""
        try:
            done = subprocess.run(
                ["redis-cli", "-p", str(node.port), "cluster", "info"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
        for line in done.stdout.splitlines():
            if line.startswith("cluster_state:"):
                return line.split(":", 1)[1].strip()
        return None

    def wait_for_state(self, state: str, nodes: list[ThrowawayRedis]) -> None:
        """Poll ``CLUSTER INFO`` until every node in ``nodes`` reports ``state``."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if all(self.state(node) == state for node in nodes):
                return
            time.sleep(0.1)
        seen = {node.port: self.state(node) for node in nodes}
        pytest.fail(f"the cluster did not reach cluster_state:{state}: {seen}")

    def stop(self) -> None:
        """End every server and remove their directories."""
        for node in self.nodes:
            node.stop()


@contextmanager
def throwaway_redis_cluster() -> Iterator[ThrowawayCluster]:
    """A started, joined :class:`ThrowawayCluster`, always stopped afterwards."""
    cluster = ThrowawayCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
