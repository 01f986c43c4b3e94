"""Throughput cost of FastMVC's default middleware stack, against bare FastAPI.

Two apps serve the same trivial JSON endpoint, ``GET /ping`` -> ``{"ok": true}``:

- ``bare``: ``FastAPI()`` and the route, nothing else;
- ``stack``: ``create_app`` with the full default stack (request context,
  access log, security headers, server-error guard, body limit and the rate
  limiter on its memory backend), logging configured as JSON. Rate limiting
  is *enabled* with limits of 10**9 per minute and per hour, so the limiter's
  cost is measured but nothing is ever refused. The access log writes one
  JSON line per request to the server's stderr, which goes to /dev/null.
  CORS is off (no CORS_ORIGINS), as in the default settings.

Three servers, each its own process (one worker, no access log, uvloop, and
httptools for uvicorn) on a free port:

- ``bare``: bare FastAPI on uvicorn, what most FastAPI apps are served with;
- ``stack``: the stack on uvicorn;
- ``stack_granian``: the same stack on Granian, as ``fastmvc run --server
  granian`` serves it.

wrk loads them in alternating rounds (bare, stack, stack_granian, bare…), so
a change in the machine's load hits all three. The result is each app's
requests/s (mean of its rounds), p50 and p99 latency (median of its rounds),
the ratio stack/bare (the stack's cost on one server) and the ratio
stack_granian/bare (the target: at least 1.0, FastMVC on Granian serving
faster than bare FastAPI on uvicorn).

Run it from the repository root::

    benchmarks/middleware/run.sh                     # 3 rounds of 4 s per app
    benchmarks/middleware/run.sh --duration 1 --json # smoke run

wrk is required; when it is missing and the script runs as root it installs
it with apt-get.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if not __package__:
    # Run as a script (or imported as ``bench_stack`` by uvicorn's --app-dir):
    # the repository root makes the shared ``benchmarks`` package importable.
    sys.path.insert(0, str(HERE.parents[1]))

from benchmarks.server import serve  # noqa: E402
from benchmarks.wrk import WrkResult, ensure_wrk, run_wrk  # noqa: E402

PATH = "/ping"


# --- the two apps (imported by uvicorn with --factory) -----------------------


def ping_router() -> Any:
    """The endpoint under test, mounted the same way in both apps."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get(PATH)
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    return router


def bare_app() -> Any:
    """FastAPI with the one route and nothing else."""
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(ping_router())
    return app


def stack_app(middleware_disable: str = "") -> Any:
    """create_app with the default stack, JSON logging and a never-refusing limiter.

    ``middleware_disable`` leaves edge steps out, as ``MIDDLEWARE_DISABLE`` does.
    """
    from benchmarks.settings import bench_settings
    from fastmvc.app import create_app
    from fastmvc.logging import configure_logging

    settings = bench_settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///:memory:",
        redis_host=None,
        log_level="INFO",
        log_format="json",
        middleware_disable=middleware_disable,
    )
    configure_logging(settings)
    return create_app(settings, routers=[ping_router()])


def stepless_app() -> Any:
    """The same app with every edge step turned off: create_app's FastAPI and routes alone."""
    from fastmvc.middleware.stack import DEFAULT_STEPS

    return stack_app(",".join(DEFAULT_STEPS))


# --- running and measuring ---------------------------------------------------


def combine(rounds: list[WrkResult]) -> WrkResult:
    """Pool the rounds: mean requests/s, median p50 and p99, summed counts."""
    return WrkResult(
        requests_per_second=statistics.fmean(r.requests_per_second for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        p99_ms=statistics.median(r.p99_ms for r in rounds),
        requests=sum(r.requests for r in rounds),
        non_2xx=sum(r.non_2xx for r in rounds),
        socket_errors=sum(r.socket_errors for r in rounds),
    )


# name -> (factory, server)
APPS = {
    "bare": ("bare_app", "uvicorn"),
    "stack": ("stack_app", "uvicorn"),
    "stack_granian": ("stack_app", "granian"),
}


def serve_app(factory: str, server: str = "uvicorn") -> AbstractContextManager[str]:
    """Run one of the apps above under ``server``; the context yields its base URL."""
    return serve(f"bench_stack:{factory}", ready_path=PATH, cwd=HERE, app_dir=HERE, server=server)


def measure_all(
    wrk: str, *, duration: float, warmup: float, rounds: int, connections: int, threads: int
) -> dict[str, WrkResult]:
    """Serve every app in :data:`APPS` at once and load them in alternating rounds.

    Alternating spreads any drift in the machine's load (other processes,
    CPU frequency) over every app instead of biasing the one measured last.
    """
    per_round = max(1.0, duration / rounds)
    results: dict[str, list[WrkResult]] = {name: [] for name in APPS}
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(serve_app(factory, server)) + PATH
            for name, (factory, server) in APPS.items()
        }
        if warmup > 0:
            for url in urls.values():
                run_wrk(wrk, url, duration=warmup, connections=connections, threads=threads)
        for _ in range(rounds):
            for name, url in urls.items():
                result = run_wrk(
                    wrk, url, duration=per_round, connections=connections, threads=threads
                )
                results[name].append(result)
    return {name: combine(rounds_of) for name, rounds_of in results.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=12, help="seconds of load per app")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per app")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per app")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    try:
        wrk = ensure_wrk()
    except RuntimeError as exc:
        sys.exit(str(exc))
    rounds = max(1, min(args.rounds, int(args.duration)))
    apps = measure_all(
        wrk,
        duration=args.duration,
        warmup=args.warmup,
        rounds=rounds,
        connections=args.connections,
        threads=args.threads,
    )
    bare = apps["bare"]
    ratio = apps["stack"].requests_per_second / bare.requests_per_second
    granian_ratio = apps["stack_granian"].requests_per_second / bare.requests_per_second

    if args.json:
        report = {name: {"name": name, **asdict(result)} for name, result in apps.items()}
        print(json.dumps({**report, "ratio": ratio, "granian_ratio": granian_ratio}))
    else:
        print(
            f"GET {PATH}, 1 worker each, wrk -t{args.threads} -c{args.connections}, "
            f"{rounds} alternating rounds of {max(1, round(args.duration / rounds))}s per app"
        )
        print(f"{'app':<15}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
        for name, result in apps.items():
            print(
                f"{name:<15}{result.requests_per_second:>12.0f}"
                f"{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}{result.non_2xx:>10}"
            )
        print(f"ratio stack/bare: {ratio:.3f}")
        print(f"ratio stack_granian/bare: {granian_ratio:.3f} (target >= 1.0)")
    failed = any(result.non_2xx for result in apps.values())
    if failed:
        print("some responses were not 2xx; the figures are not comparable", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
