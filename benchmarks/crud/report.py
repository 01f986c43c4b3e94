"""Render the CRUD results as Markdown and judge the issue's targets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Target", "judge", "markdown"]

SCENARIOS = {
    "a": "GET /products/{id} (random ids)",
    "b": "GET /products filtered (price >= 990), sorted by -price, 20 rows",
    "c": "POST /products",
    "e": "PATCH /products/{id} (random id, random stock)",
    "f": "DELETE /products/{id} (each row once)",
    "g": "GET /items?limit=100&include=category,tags (ORM: selectinload)",
}
PEERS = ("orm", "asyncpg", "fastcrud")


@dataclass(frozen=True, slots=True)
class Target:
    """One target of the issue and whether this run met it."""

    text: str
    measured: str
    passed: bool


def _find(
    load: Iterable[dict[str, Any]], scenario: str, server: str, c: int
) -> dict[str, Any] | None:
    for row in load:
        if row["scenario"] == scenario and row["server"] == server and row["connections"] == c:
            return row
    return None


def _ratio(mine: dict[str, Any] | None, peer: dict[str, Any] | None) -> float | None:
    if mine is None or peer is None or not peer["requests_per_second"]:
        return None
    return float(mine["requests_per_second"]) / float(peer["requests_per_second"])


def markdown(results: dict[str, Any]) -> list[str]:
    """The load table and the deep-page table."""
    lines = [
        "| scenario | c | server | req/s | p50 ms | p99 ms | non-2xx "
        "| vs orm | vs asyncpg | vs fastcrud |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["load"]:
        ratios = []
        for peer in PEERS:
            other = _find(results["load"], row["scenario"], peer, row["connections"])
            ratio = _ratio(row, other) if row["server"] != peer else None
            ratios.append(f"{ratio:.2f}x" if ratio is not None else "")
        lines.append(
            f"| {row['scenario']} | {row['connections']} | {row['server']} "
            f"| {row['requests_per_second']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['non_2xx'] + row['socket_errors']} | " + " | ".join(ratios) + " |"
        )
    lines += ["", "Scenario d, FastMVC only, sequential requests (one connection):", ""]
    lines += ["| page | requests | mean ms | p50 ms |", "|---|---:|---:|---:|"]
    for row in results["deep"]:
        lines.append(
            f"| {row['variant']} (`{row['path']}`) | {row['requests']} "
            f"| {row['mean_ms']:.2f} | {row['p50_ms']:.2f} |"
        )
    return lines


def judge(results: dict[str, Any]) -> list[Target]:
    """Check the issue's targets against one run."""
    load = results["load"]
    low, high = min(results["options"]["concurrency"]), max(results["options"]["concurrency"])
    targets: list[Target] = []

    def rps_target(
        text: str, scenario: str, peer: str, c: int, factor: float, server: str = "fastmvc"
    ) -> None:
        ratio = _ratio(_find(load, scenario, server, c), _find(load, scenario, peer, c))
        if ratio is None:
            targets.append(Target(text, "not measured", False))
        else:
            targets.append(Target(text, f"{ratio:.2f}x", ratio >= factor))

    rps_target(f"a, c={low}: FastMVC public ≥ 1.5x hand-written ORM", "a", "orm", low, 1.5)
    rps_target(f"a, c={low}: FastMVC public ≥ 0.6x raw asyncpg", "a", "asyncpg", low, 0.6)
    rps_target(f"b, c={low}: filtered list ≥ 1.3x hand-written ORM", "b", "orm", low, 1.3)
    rps_target(f"c, c={low}: create ≥ 1.3x hand-written ORM", "c", "orm", low, 1.3)
    rps_target(f"e, c={low}: PATCH ≥ 1.3x hand-written ORM", "e", "orm", low, 1.3)
    rps_target(f"f, c={low}: DELETE ≥ 1.3x hand-written ORM", "f", "orm", low, 1.3)
    rps_target(
        f"a, c={low}: owned GET by id (owner policy) ≥ 0.95x plain (user policy, same token)",
        "a", "fastmvc_auth", low, 0.95, server="fastmvc_owned",
    )  # fmt: skip
    rps_target(
        f"g, c={low}: 100 rows with include=category,tags ≥ 1.3x ORM with selectinload",
        "g", "orm", low, 1.3,
    )  # fmt: skip
    mine, floor = _find(load, "a", "fastmvc", high), _find(load, "a", "asyncpg", high)
    if mine is not None and floor is not None:
        ratio = mine["p99_ms"] / floor["p99_ms"]
        targets.append(
            Target(
                f"a, c={high}: FastMVC p99 ≤ 2x raw asyncpg's",
                f"{mine['p99_ms']:.2f} ms vs {floor['p99_ms']:.2f} ms = {ratio:.2f}x",
                ratio <= 2.0,
            )
        )
    for scenario in ("a", "b", "c"):
        for c in sorted({row["connections"] for row in load if row["scenario"] == scenario}):
            rps_target(f"{scenario}, c={c}: FastMVC ≥ fastcrud", scenario, "fastcrud", c, 1.0)
    if len(results["deep"]) >= 2:
        first, keyset = results["deep"][0], results["deep"][1]
        ratio = keyset["p50_ms"] / first["p50_ms"]
        targets.append(
            Target(
                "d: keyset page at depth within 1.5x of the first page (p50)",
                f"{keyset['p50_ms']:.2f} ms vs {first['p50_ms']:.2f} ms = {ratio:.2f}x",
                ratio <= 1.5,
            )
        )
    return targets
