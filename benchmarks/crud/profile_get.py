"""Where ``GET /products/{id}`` spends its CPU: FastMVC against raw asyncpg, by layer.

Both servers of :mod:`benchmarks.crud.apps` (``fastmvc_public_app``, the full
default stack, and ``asyncpg_app``, bare FastAPI with one pooled
``fetchrow``) are called in this process as ASGI apps, on a PostgreSQL
database seeded here, each request in its own task as a server runs it.

It prints each app's CPU time per request (``time.process_time``, median of
alternating batches) and, from a cProfile of each, the CPU per request by
layer (self time of the functions in each group of modules, scaled to the
measured CPU time): the edge steps, FastAPI and Starlette, FastMVC's handler
(route, controller, service, repository), SQLAlchemy's pool and session,
asyncpg, pydantic, and the event loop with its sockets. The difference
between the two columns is what FastMVC adds to the floor, layer by layer.

Run it from the repository root (it drops and recreates the database)::

    python -m benchmarks.crud.profile_get
    python -m benchmarks.crud.profile_get --json
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from benchmarks import inprocess
from benchmarks.crud import seed
from benchmarks.crud.apps import DSN_ENV

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/fastmvc_bench_profile"
APPS = ("fastmvc_public_app", "asyncpg_app")

# Layer of a function, by the path of its module (first match wins).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "edge steps (context, log, metrics, headers, limiter)",
        (
            "fastmvc/middleware/",
            "fastmvc/ratelimit/",
            "fastmvc/logging.py",
            "fastmvc/context.py",
            "fastmvc/metrics.py",
            "prometheus_client/",
        ),
    ),
    ("FastMVC handler (route, controller, service, repository)", ("fastmvc/",)),
    ("FastAPI and Starlette", ("fastapi/", "starlette/")),
    ("SQLAlchemy (pool, session, greenlet)", ("sqlalchemy/", "greenlet")),
    ("asyncpg", ("asyncpg/",)),
    ("pydantic", ("pydantic",)),
    ("event loop and sockets", ("asyncio/", "selectors.py", "socket", "epoll", "uvloop")),
)
OTHER = "other"


def layer_of(path: str, function: str) -> str:
    """The layer a profiled function belongs to."""
    where = f"{path} {function}"
    for name, markers in LAYERS:
        if any(marker in where for marker in markers):
            return name
    return OTHER


async def cpu_per_request(app: Any, requests: int, rows: int) -> float:
    """CPU microseconds per ``GET /products/{random id}``."""
    return await inprocess.cpu_per_request(
        app, requests, lambda: f"/products/{random.randint(1, rows)}"
    )


async def _start(app: Any) -> Callable[[], Any]:
    """Run the app's lifespan startup; returns a coroutine function that shuts it down."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"lifespan startup failed: {started}")

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return stop


def _layers(stats: pstats.Stats, cpu_us: float) -> dict[str, float]:
    """Self time by layer, scaled so that the layers add up to ``cpu_us``."""
    seconds: dict[str, float] = defaultdict(float)
    for (path, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        seconds[layer_of(path, function)] += row[2]  # tottime
    total = sum(seconds.values()) or 1.0
    return {name: value / total * cpu_us for name, value in seconds.items()}


async def measure(rows: int, batches: int, requests: int, profiled: int) -> dict[str, Any]:
    from benchmarks.crud import apps as servers

    built = {name: getattr(servers, name)() for name in APPS}
    stops = [await _start(app) for app in built.values()]
    try:
        for app in built.values():
            await cpu_per_request(app, 300, rows)
        rounds: dict[str, list[float]] = {name: [] for name in built}
        for _ in range(batches):
            for name, app in built.items():
                rounds[name].append(await cpu_per_request(app, requests, rows))
        cpu = {name: statistics.median(values) for name, values in rounds.items()}
        layers = {}
        for name, app in built.items():
            profile = cProfile.Profile()
            profile.enable()
            await cpu_per_request(app, profiled, rows)
            profile.disable()
            layers[name] = _layers(pstats.Stats(profile), cpu[name])
    finally:
        for stop in stops:
            await stop()
    return {"cpu_us": cpu, "layers_us": layers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="database to DROP and recreate")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--requests", type=int, default=1000, help="requests per batch")
    parser.add_argument("--profiled", type=int, default=3000, help="requests under cProfile")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    asyncio.run(seed.create_database(args.dsn, args.rows))
    os.environ[DSN_ENV] = args.dsn
    # FastMVC's access log writes a JSON line per request to stderr, as it
    # does on a server (where the bench sends it to /dev/null): the same here.
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved_stderr = os.dup(2)
    os.dup2(devnull, 2)
    try:
        report = asyncio.run(measure(args.rows, args.batches, args.requests, args.profiled))
    finally:
        os.dup2(saved_stderr, 2)
        os.close(devnull)
    if args.json:
        print(json.dumps(report))
        return 0
    fastmvc, floor = (report["cpu_us"][name] for name in APPS)
    print(
        f"GET /products/{{id}}, in-process, CPU per request, median of {args.batches} "
        f"alternating batches of {args.requests}: FastMVC {fastmvc:.0f} µs, "
        f"raw asyncpg {floor:.0f} µs (ratio {floor / fastmvc:.2f})"
    )
    names = [name for name, _ in LAYERS] + [OTHER]
    print(f"\n{'layer':<58}{'FastMVC µs':>12}{'asyncpg µs':>12}")
    for name in names:
        ours, theirs = (report["layers_us"][app].get(name, 0.0) for app in APPS)
        print(f"{name:<58}{ours:>12.0f}{theirs:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
