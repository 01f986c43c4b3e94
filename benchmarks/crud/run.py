"""Run the CRUD benchmark: seed PostgreSQL, serve each app under uvicorn, load it with wrk.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.crud.run                  # the full run
    .venv/bin/python -m benchmarks.crud.run --rows 200 --deep-rows 400 --depth 200 \
        --duration 1 --warmup 0 --concurrency 8 --pages 5     # smoke run

Scenarios: a. ``GET /products/{id}`` on random ids (every server; ``fastmvc_owned``
reads the same rows under the ``owner`` policy, against ``fastmvc_auth``'s ``user``);
b. a filtered, sorted first page (FastMVC, ORM, fastcrud); c. ``POST /products``
(same three); d. deep pages over ``--deep-rows`` rows, FastMVC keyset cursor
and offset at ``--depth`` against the first page (sequential httpx requests);
e. ``PATCH /products/{id}`` (random id, random ``stock``) and f. ``DELETE
/products/{id}`` (fresh rows, each deleted once), FastMVC against the ORM;
g. ``GET /items?limit=100&include=category,tags`` against the ORM with
``selectinload``. a and b run at each ``--concurrency``; c, e, f and g at the first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks import server
from benchmarks.crud import seed
from benchmarks.crud.apps import DSN_ENV, SECRET_ENV
from benchmarks.wrk import (
    WrkResult,
    delete_script,
    ensure_wrk,
    patch_script,
    post_script,
    random_get_script,
    run_wrk,
)

__all__ = ["SERVERS", "CrudResults", "Options", "main", "run"]

ROOT = Path(__file__).resolve().parents[2]
APPS = "benchmarks.crud.apps"
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/fastmvc_bench"
LIST_MIN_PRICE = "990"
POST_BODY = {"name": "bench product", "price": "1.00", "stock": 5}

# name -> uvicorn factory in benchmarks.crud.apps
SERVERS = {
    "fastmvc": "fastmvc_public_app",
    "fastmvc_auth": "fastmvc_auth_app",
    "fastmvc_owned": "fastmvc_owned_app",
    "orm": "orm_app",
    "asyncpg": "asyncpg_app",
    "fastcrud": "fastcrud_app",
}
# Each server's own spelling of scenario b: price >= 990, price descending, 20 rows.
LIST_QUERIES = {
    "fastmvc": f"/products?price__gte={LIST_MIN_PRICE}&sort=-price&limit=20",
    "orm": f"/products?price_min={LIST_MIN_PRICE}&limit=20",
    "fastcrud": f"/products?price__gte={LIST_MIN_PRICE}&sort=-price,-id&offset=0&limit=20",
}
READ_SERVERS = ("fastmvc", "fastmvc_auth", "fastmvc_owned", "orm", "asyncpg", "fastcrud")
SIGNED_IN = frozenset({"fastmvc_auth", "fastmvc_owned"})
# FastMVC never opens writes to anonymous callers, even on a public entity: its
# POST carries a token (and pays for the JWT check), the peers' do not.
SIGNED_IN_WRITES = frozenset({"fastmvc"})
WRITE_SERVERS = ("fastmvc", "orm", "fastcrud")
# PATCH and DELETE (e, f) and the included page (g): FastMVC against the hand-written ORM.
CHANGE_SERVERS = ("fastmvc", "orm")
INCLUDE_QUERIES = {
    "fastmvc": "/items?limit=100&include=category,tags",
    "orm": "/items?limit=100",
}
DELETABLE_ROWS = 60_000


@dataclass(frozen=True, slots=True)
class Options:
    """What one run does."""

    dsn: str = DEFAULT_DSN
    rows: int = 100_000
    deep_rows: int = 1_000_000
    depth: int = 500_000
    duration: float = 5
    warmup: float = 1
    concurrency: tuple[int, ...] = (8, 32)
    pages: int = 100


@dataclass
class CrudResults:
    """Everything one run measured."""

    options: dict[str, Any]
    commands: list[str] = field(default_factory=list)
    load: list[dict[str, Any]] = field(default_factory=list)
    deep: list[dict[str, Any]] = field(default_factory=list)
    postgres_version: str = ""
    seed_seconds: float = 0.0


def uvicorn_command(factory: str, port: int) -> list[str]:
    """The command line that serves one factory of :mod:`benchmarks.crud.apps`."""
    return server.uvicorn_command(f"{APPS}:{factory}", port, workers=1)


def serve(factory: str, env: dict[str, str]) -> AbstractContextManager[str]:
    """Run one app under uvicorn; the context yields its base URL once it answers."""
    return server.serve(
        f"{APPS}:{factory}", ready_path="/openapi.json", cwd=ROOT, env=env, workers=1
    )


def _mint_token(env: dict[str, str]) -> str:
    """An access token from the FastMVC app's own TokenService (same secret as the server)."""
    from benchmarks.crud.apps import fastmvc_settings
    from fastmvc.security import build_token_service

    saved = {name: os.environ.get(name) for name in (DSN_ENV, SECRET_ENV)}
    os.environ.update({DSN_ENV: env[DSN_ENV], SECRET_ENV: env[SECRET_ENV]})
    try:
        tokens = build_token_service(fastmvc_settings(), None)
        return str(tokens.issue("1").access_token)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _check(base: str, path: str, headers: dict[str, str], expected: int = 200) -> None:
    response = httpx.get(base + path, headers=headers, timeout=10)
    if response.status_code != expected:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")


def _load_server(
    name: str, env: dict[str, str], wrk: str, options: Options, scripts: Path, token: str
) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if name in SIGNED_IN else {}
    rows: list[dict[str, Any]] = []

    write_headers = {"Authorization": f"Bearer {token}"} if name in SIGNED_IN_WRITES else headers

    def measure(
        scenario: str,
        url: str,
        connections: int,
        script: Path | None,
        sent: dict[str, str],
        warmup_script: Path | None = None,
    ) -> None:
        if options.warmup > 0:
            run_wrk(wrk, url, duration=options.warmup, connections=connections,
                    script=warmup_script or script, headers=sent)  # fmt: skip
        result: WrkResult = run_wrk(
            wrk, url, duration=options.duration, connections=connections, script=script,
            headers=sent,
        )  # fmt: skip
        rows.append({"scenario": scenario, "server": name, "connections": connections,
                     **asdict(result)})  # fmt: skip

    with serve(SERVERS[name], env) as base:
        _check(base, "/products/1", headers)
        get_script = random_get_script(scripts, "/products", options.rows)
        for connections in options.concurrency:
            measure("a", base + "/products", connections, get_script, headers)
        if name in LIST_QUERIES:
            _check(base, LIST_QUERIES[name], headers)
            for connections in options.concurrency:
                measure("b", base + LIST_QUERIES[name], connections, None, headers)
        if name in WRITE_SERVERS:
            script = post_script(scripts, POST_BODY)
            measure("c", base + "/products", options.concurrency[0], script, write_headers)
        if name in CHANGE_SERVERS:
            low = options.concurrency[0]
            script = patch_script(scripts, "/products", options.rows)
            measure("e", base + "/products", low, script, write_headers)
            # Fresh rows for the warm-up and for the run: each request deletes a live row.
            warm = asyncio.run(seed.add_deletable(options.dsn, DELETABLE_ROWS))
            first = asyncio.run(seed.add_deletable(options.dsn, DELETABLE_ROWS))
            measure("f", base + "/products", low, delete_script(scripts, "/products", first),
                    write_headers, delete_script(scripts, "/products", warm, "warm"))  # fmt: skip
            _check(base, INCLUDE_QUERIES[name], headers)
            measure("g", base + INCLUDE_QUERIES[name], low, None, headers)
    return rows


def _time_pages(client: httpx.Client, path: str, count: int) -> dict[str, float]:
    client.get(path).raise_for_status()  # warm the plan cache and the connection
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        if len(response.json()["data"]["items"]) != 20:
            raise RuntimeError(f"{path} did not answer a full page")
    return {"mean_ms": statistics.fmean(timings), "p50_ms": statistics.median(timings),
            "requests": count}  # fmt: skip


def _deep_pages(env: dict[str, str], options: Options) -> list[dict[str, Any]]:
    from fastmvc.repository.cursor import encode_cursor

    price, row_id = asyncio.run(seed.depth_cursor_values(options.dsn, options.depth))
    cursor = encode_cursor([price, row_id], "next")
    first = "/products?sort=price&limit=20"
    variants = {
        "first page (sort=price)": first,
        f"keyset cursor at depth {options.depth:,}": f"{first}&cursor={cursor}",
        f"offset={options.depth:,}": f"{first}&offset={options.depth}",
    }
    results = []
    with serve(SERVERS["fastmvc"], env) as base, httpx.Client(base_url=base, timeout=30) as client:
        for variant, path in variants.items():
            results.append(
                {
                    "variant": variant,
                    "path": path.split("&cursor=")[0] + ("&cursor=…" if "cursor=" in path else ""),
                    **_time_pages(client, path, options.pages),
                }
            )
    return results


def run(options: Options) -> CrudResults:
    """Seed, load every server, grow the table and time the deep pages."""
    wrk = ensure_wrk()
    results = CrudResults(options=asdict(options))
    env = dict(os.environ)
    env[DSN_ENV] = options.dsn
    env[SECRET_ENV] = secrets.token_urlsafe(48)
    start = time.perf_counter()
    asyncio.run(seed.create_database(options.dsn, options.rows))
    results.seed_seconds = time.perf_counter() - start
    results.postgres_version = asyncio.run(seed.server_version(options.dsn))
    token = _mint_token(env)
    results.commands = [" ".join(uvicorn_command(factory, 0)).replace(" 0 ", " PORT ")
                        for factory in SERVERS.values()]  # fmt: skip
    results.commands.append(
        f"wrk -t1 -c{{{','.join(map(str, options.concurrency))}}} -d{round(options.duration)}s "
        "--latency [-s random_get.lua | post.lua | patch.lua | delete.lua] "
        "[-H 'Authorization: Bearer …'] URL "
        f"(after a {options.warmup:g}s warm-up run)"
    )
    with tempfile.TemporaryDirectory() as scripts:
        for name in READ_SERVERS:
            asyncio.run(seed.settle(options.dsn))
            results.load.extend(_load_server(name, env, wrk, options, Path(scripts), token))
    start = time.perf_counter()
    current = asyncio.run(seed.grow(options.dsn, 0))
    if options.deep_rows > current:
        asyncio.run(seed.grow(options.dsn, options.deep_rows - current))
    results.seed_seconds += time.perf_counter() - start
    results.deep = _deep_pages(env, options)
    return results


def parse_args(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    defaults = Options()
    parser.add_argument("--dsn", default=defaults.dsn, help="database to DROP and recreate")
    parser.add_argument("--rows", type=int, default=defaults.rows)
    parser.add_argument("--deep-rows", type=int, default=defaults.deep_rows)
    parser.add_argument("--depth", type=int, default=defaults.depth)
    parser.add_argument("--duration", type=float, default=defaults.duration)
    parser.add_argument("--warmup", type=float, default=defaults.warmup)
    parser.add_argument("--concurrency", default="8,32", help="comma-separated wrk connections")
    parser.add_argument("--pages", type=int, default=defaults.pages, help="requests per deep page")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    return Options(
        dsn=args.dsn, rows=args.rows, deep_rows=args.deep_rows, depth=args.depth,
        duration=args.duration, warmup=args.warmup, pages=args.pages,
        concurrency=tuple(int(part) for part in args.concurrency.split(",")),
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run and print the results as JSON."""
    results = run(parse_args(argv))
    print(json.dumps(asdict(results), indent=2, default=str))
    failed = [row for row in results.load if row["non_2xx"] or row["socket_errors"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
