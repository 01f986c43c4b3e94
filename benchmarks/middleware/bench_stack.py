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

Each app runs in its own uvicorn process (one worker, ``--no-access-log``,
uvloop and httptools when installed) on a free port. wrk loads them in
alternating rounds (bare, stack, bare, stack…), so a change in the machine's
load hits both. The result is each app's requests/s (mean of its rounds), p50
and p99 latency (median of its rounds), and the ratio stack/bare.

Run it from the repository root::

    benchmarks/middleware/run.sh                     # 3 rounds of 4 s per app
    benchmarks/middleware/run.sh --duration 1 --json # smoke run

wrk is required; when it is missing and the script runs as root it installs
it with apt-get.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PATH = "/ping"
HUGE_LIMIT = 10**9


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


def stack_app() -> Any:
    """create_app with the default stack, JSON logging and a never-refusing limiter."""
    from fastmvc.app import create_app
    from fastmvc.logging import configure_logging
    from fastmvc.settings import Settings

    settings = Settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///:memory:",
        redis_url=None,
        redis_host=None,
        rate_limit_enabled=True,
        rate_limit_per_minute=HUGE_LIMIT,
        rate_limit_per_hour=HUGE_LIMIT,
        log_level="INFO",
        log_format="json",
    )
    configure_logging(settings)
    return create_app(settings, routers=[ping_router()])


# --- running and measuring ---------------------------------------------------


@dataclass
class Result:
    """One wrk run."""

    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def ensure_wrk() -> str:
    """Return wrk's path, installing it with apt-get when running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing; installing it with apt-get", file=sys.stderr)
        install = ["apt-get", "install", "-y", "wrk"]
        if subprocess.run(install, check=False, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], check=True, capture_output=True)
            subprocess.run(install, check=True, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("wrk is not installed (apt-get install wrk, or brew install wrk)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(factory: str, port: int) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"bench_stack:{factory}",
        "--factory",
        "--app-dir",
        str(HERE),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if importlib.util.find_spec("uvloop"):
        command += ["--loop", "uvloop"]
    if importlib.util.find_spec("httptools"):
        command += ["--http", "httptools"]
    return command


@contextlib.contextmanager
def serve(factory: str) -> Iterator[str]:
    """Run one app under uvicorn and yield its URL once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    process = subprocess.Popen(
        uvicorn_command(factory, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=HERE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn ({factory}) exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn ({factory}) did not answer") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(name: str, output: str) -> Result:
    """Read requests/s and latency percentiles from ``wrk --latency`` output."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if rps is None or total is None or set(percentiles) != {"50", "99"}:
        raise ValueError(f"could not parse wrk output:\n{output}")
    return Result(
        name=name,
        requests_per_second=float(rps.group(1)),
        p50_ms=_to_ms(percentiles["50"]),
        p99_ms=_to_ms(percentiles["99"]),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(count) for count in errors.groups()) if errors else 0,
    )


def run_wrk(wrk: str, url: str, *, duration: float, connections: int, threads: int) -> str:
    seconds = max(1, round(duration))
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def combine(name: str, rounds: list[Result]) -> Result:
    """Pool the rounds: mean requests/s, median p50 and p99, summed counts."""
    return Result(
        name=name,
        requests_per_second=statistics.fmean(r.requests_per_second for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        p99_ms=statistics.median(r.p99_ms for r in rounds),
        requests=sum(r.requests for r in rounds),
        non_2xx=sum(r.non_2xx for r in rounds),
        socket_errors=sum(r.socket_errors for r in rounds),
    )


def measure_both(
    wrk: str, *, duration: float, warmup: float, rounds: int, connections: int, threads: int
) -> tuple[Result, Result]:
    """Serve both apps at once and load them in alternating rounds.

    Alternating spreads any drift in the machine's load (other processes,
    CPU frequency) over both apps instead of biasing the one measured last.
    """
    load = {"connections": connections, "threads": threads}
    per_round = max(1.0, duration / rounds)
    results: dict[str, list[Result]] = {"bare": [], "stack": []}
    with serve("bare_app") as bare_url, serve("stack_app") as stack_url:
        urls = {"bare": bare_url, "stack": stack_url}
        if warmup > 0:
            for url in urls.values():
                run_wrk(wrk, url, duration=warmup, **load)
        for _ in range(rounds):
            for name, url in urls.items():
                output = run_wrk(wrk, url, duration=per_round, **load)
                results[name].append(parse_wrk(name, output))
    return combine("bare", results["bare"]), combine("stack", results["stack"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=12, help="seconds of load per app")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per app")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per app")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    rounds = max(1, min(args.rounds, int(args.duration)))
    bare, stack = measure_both(
        wrk,
        duration=args.duration,
        warmup=args.warmup,
        rounds=rounds,
        connections=args.connections,
        threads=args.threads,
    )
    ratio = stack.requests_per_second / bare.requests_per_second

    if args.json:
        print(json.dumps({"bare": asdict(bare), "stack": asdict(stack), "ratio": ratio}))
    else:
        print(
            f"GET {PATH}, uvicorn 1 worker each, wrk -t{args.threads} -c{args.connections}, "
            f"{rounds} alternating rounds of {max(1, round(args.duration / rounds))}s per app"
        )
        print(f"{'app':<8}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
        for result in (bare, stack):
            print(
                f"{result.name:<8}{result.requests_per_second:>12.0f}"
                f"{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}{result.non_2xx:>10}"
            )
        print(f"ratio stack/bare: {ratio:.3f}")
    failed = bare.non_2xx or stack.non_2xx
    if failed:
        print("some responses were not 2xx; the figures are not comparable", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
