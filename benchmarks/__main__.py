"""``python -m benchmarks`` (``make bench``): run every suite once and write RESULTS.md.

Suites, one after the other so they never share the two cores:

1. ``benchmarks/crud`` — data-path speed against hand-written and library peers;
2. ``benchmarks/middleware`` — the default middleware stack against bare FastAPI,
   and the CPU cost of its metrics step (stack with and without metrics);
3. ``benchmarks/ratelimit`` — the limiter against other limiter libraries, and
   a served app with ``REDIS_URL`` against the same app on the memory limiter;
4. ``benchmarks/replicas`` — GET by id on a streaming replica against the primary.

A suite whose script is missing is reported as skipped; one that fails is
reported with its error, and the others still run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.crud import report
from benchmarks.crud.run import Options, run
from benchmarks.crud.seed import server_version

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line(postgres: str) -> str:
    """nproc, CPU model, Python and PostgreSQL versions."""
    return (
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {postgres}"
    )


def _script(command: list[str], timeout: float) -> tuple[int, str, str]:
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    return completed.returncode, completed.stdout, completed.stderr


def middleware_suite(duration: float) -> list[str]:
    """Helper F's middleware benchmark, as Markdown."""
    script = HERE / "middleware" / "bench_stack.py"
    if not script.exists():
        return ["Skipped: benchmarks/middleware/bench_stack.py is missing."]
    args = ["--duration", f"{duration:g}", "--warmup", "1", "--json"]
    command = [sys.executable, str(script.relative_to(ROOT)), *args]
    code, out, err = _script(command, timeout=300)
    lines = [f"Command: `python {' '.join(command[1:])}`", ""]
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [*lines, f"Failed (exit {code}):", "", "```", (out + err)[-3000:], "```"]
    lines += [
        "| app | server | req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    servers = {"bare": "uvicorn", "stack": "uvicorn", "stack_granian": "granian"}
    for name, server in servers.items():
        row = data[name]
        lines.append(
            f"| {name} | {server} | {row['requests_per_second']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['non_2xx']} |"
        )
    granian = data["granian_ratio"]
    verdict = "PASS" if granian >= 1.0 else "MISS"
    stack_verdict = "PASS" if data["ratio"] >= STACK_TARGET else "MISS"
    return [
        *lines,
        "",
        f"Default stack vs bare FastAPI, same route, both on uvicorn: {data['ratio']:.3f}x "
        f"(target >= {STACK_TARGET}x: {stack_verdict})",
        "",
        f"FastMVC default stack on Granian vs bare FastAPI on uvicorn, `GET /ping`: "
        f"{granian:.3f}x (target >= 1.0x: {verdict}); the same stack on uvicorn: "
        f"{data['ratio']:.3f}x.",
        "",
        *stack_profile(),
    ]


STACK_TARGET = 0.8
"""Issue 12: the default stack serves at least 0.8x what bare FastAPI serves on one route."""


def stack_profile() -> list[str]:
    """The stack's CPU by layer (in-process, cProfile), as Markdown."""
    script = HERE / "middleware" / "profile_stack.py"
    command = [sys.executable, str(script.relative_to(ROOT)), "--json"]
    code, out, err = _script(command, timeout=600)
    lines = [f"Where the stack's CPU goes: `python {' '.join(command[1:])}`", ""]
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [*lines, f"Failed (exit {code}):", "", "```", (out + err)[-3000:], "```"]
    lines += [
        f"In-process CPU per request: bare {data['bare_us']:.1f} µs, the same app "
        f"from create_app with every edge step turned off {data['stepless_us']:.1f} µs, "
        f"the full stack {data['stack_us']:.1f} µs (ratio bare/stack {data['ratio']:.3f}).",
        "",
        "| layer | share of the stack's CPU |",
        "|---|---:|",
    ]
    for name, share in sorted(data["shares"].items(), key=lambda item: -item[1]):
        lines.append(f"| {name} | {share:.1%} |")
    return lines


def metrics_suite() -> list[str]:
    """What the metrics step costs per request (in-process CPU time), as Markdown."""
    script = HERE / "middleware" / "bench_metrics.py"
    command = [sys.executable, str(script.relative_to(ROOT)), "--json"]
    code, out, err = _script(command, timeout=600)
    lines = [f"Command: `python {' '.join(command[1:])}`", ""]
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [*lines, f"Failed (exit {code}):", "", "```", (out + err)[-3000:], "```"]
    return [
        *lines,
        "| stack | CPU µs per request |",
        "|---|---:|",
        f"| with metrics | {data['with_metrics_us']:.1f} |",
        f"| without metrics (`METRICS_ENABLED=false`) | {data['without_metrics_us']:.1f} |",
        "",
        f"Metrics cost: {data['metrics_cost_us']:.1f} µs per request "
        f"({data['metrics_cost_ratio']:+.1%}), median of {data['batches']} alternating "
        f"batches of {data['requests_per_batch']} in-process requests.",
    ]


def ratelimit_suite(duration: float) -> list[str]:
    """The limiter against peer libraries (its report verbatim), then Redis vs memory served."""
    script = HERE / "ratelimit" / "bench_limiter.py"
    if not script.exists():
        return ["Skipped: benchmarks/ratelimit/bench_limiter.py is missing."]
    command = [sys.executable, str(script.relative_to(ROOT))]
    code, out, err = _script(command, timeout=300)
    lines = [f"Command: `python {' '.join(command[1:])}`", ""]
    if code != 0:
        lines.append(f"Exit status {code}.")
    lines += ["```", (out.strip() or err.strip())[-6000:], "```", ""]
    return [*lines, "### The limiter on Redis in a served app", "", *served_limiter_suite(duration)]


def served_limiter_suite(duration: float) -> list[str]:
    """GET by id with ``REDIS_URL`` against the memory limiter, as Markdown with its target."""
    from benchmarks.ratelimit.bench_served import markdown

    command = [sys.executable, "-m", "benchmarks.ratelimit.bench_served"]
    command += ["--duration", f"{duration:g}", "--json"]
    code, out, err = _script(command, timeout=900)
    lines = [f"Command: `python {' '.join(command[1:])}`", ""]
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [*lines, f"Failed (exit {code}):", "", "```", (out + err)[-3000:], "```"]
    return [*lines, *markdown(data)]


def replicas_suite(duration: float) -> list[str]:
    """GET by id through a read replica against the primary, as Markdown."""
    command = [sys.executable, "-m", "benchmarks.replicas", "--duration", f"{duration:g}"]
    code, out, err = _script(command, timeout=600)
    lines = [f"Command: `python {' '.join(command[1:])}`", ""]
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [*lines, f"Failed (exit {code}):", "", "```", (out + err)[-3000:], "```"]
    lines += [
        f"A primary and a `pg_basebackup -R` streaming replica of the suite's own, "
        f"{data['rows']:,} products, wrk with {data['connections']} connections on random ids, "
        "one FastMVC process (pool of 10) at a time. The last column is the replica's own "
        "`xact_commit` growth during the run: where the reads really went.",
        "",
        "| GET /products/{id} read from | req/s | p50 ms | p99 ms | non-2xx "
        "| replica transactions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("primary", "replica"):
        row = data[name]
        lines.append(
            f"| {name} | {row['requests_per_second']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['non_2xx']} | {row['replica_transactions']:,} |"
        )
    return lines


def crud_section(results: dict[str, Any]) -> list[str]:
    """The CRUD commands, tables and targets."""
    options = results["options"]
    lines = [
        f"Seeded {options['rows']:,} products with COPY (grown to {options['deep_rows']:,} for d; "
        f"seeding took {results['seed_seconds']:.1f}s). Index on (price, id).",
        "",
        "Both FastMVC servers run the full default middleware stack with rate limiting "
        "**enabled** (memory backend, limits of 10⁹ per minute and per hour, so it is measured "
        "but never refuses). No Redis: the auth server's revocation check uses the in-memory "
        "denylist. Every server uses a pool of 10 connections.",
        "",
        "Servers (one at a time):",
        "",
        "```",
        *results["commands"],
        "```",
        "",
        *report.markdown(results),
        "",
        "### Targets",
        "",
        "| target | measured | result |",
        "|---|---|---|",
    ]
    for target in report.judge(results):
        lines.append(
            f"| {target.text} | {target.measured} | {'PASS' if target.passed else 'MISS'} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run every suite and write RESULTS.md."""
    parser = argparse.ArgumentParser(description="Run every benchmark suite.")
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    options = Options(duration=args.duration)
    print("crud suite…", file=sys.stderr, flush=True)
    crud = asdict(run(options))
    (HERE / "crud" / "last_run.json").write_text(json.dumps(crud, indent=2, default=str))
    print("middleware suite…", file=sys.stderr, flush=True)
    middleware = middleware_suite(args.duration)
    print("metrics suite…", file=sys.stderr, flush=True)
    metrics = metrics_suite()
    print("ratelimit suite…", file=sys.stderr, flush=True)
    ratelimit = ratelimit_suite(args.duration)
    print("replicas suite…", file=sys.stderr, flush=True)
    replicas = replicas_suite(args.duration)
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()[0]

    postgres = crud["postgres_version"] or asyncio.run(server_version(options.dsn))
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `.venv/bin/python -m benchmarks` (`make bench`) in one run of "
        f"{elapsed / 60:.1f} minutes; 1-minute load average {load_before:.2f} at the start "
        f"and {load_after:.2f} at the end (wrk, the servers, PostgreSQL and Redis share "
        "the same cores).",
        "",
        f"Machine: {machine_line(postgres)}.",
        "",
        "## CRUD data path (`benchmarks/crud`)",
        "",
        *crud_section(crud),
        "",
        "## Middleware stack (`benchmarks/middleware`)",
        "",
        *middleware,
        "",
        "## Metrics step (`benchmarks/middleware/bench_metrics.py`)",
        "",
        *metrics,
        "",
        "## Rate limiter (`benchmarks/ratelimit`)",
        "",
        *ratelimit,
        "",
        "## Read replicas (`benchmarks/replicas`)",
        "",
        *replicas,
        "",
    ]
    args.output.write_text("\n".join(lines))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
