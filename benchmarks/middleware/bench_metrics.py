"""CPU time per request of the metrics step: the default stack with and without METRICS_ENABLED.

Both apps are ``bench_stack.stack_app`` (the full default stack on ``GET /ping``),
one with metrics and one without. Each is called in this process as an ASGI
app, with no server and no sockets, in alternating batches; the figure is
the process CPU time per request (``time.process_time``), the median over
batches. CPU time rather than wall time, because this machine is shared: other
processes' load stretches wall-clock figures but not the CPU this process
spends. The access log is at WARNING in both apps so that writing log lines
does not drown the difference.

Run it from the repository root::

    python benchmarks/middleware/bench_metrics.py            # 15 batches of 2,000 requests
    python benchmarks/middleware/bench_metrics.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if not __package__:
    sys.path.insert(0, str(HERE.parents[1]))
    sys.path.insert(0, str(HERE))

from bench_stack import PATH, ping_router  # noqa: E402

from benchmarks.inprocess import cpu_per_request  # noqa: E402


def build(metrics_enabled: bool) -> Any:
    from benchmarks.settings import bench_settings
    from fastmvc.app import create_app

    settings = bench_settings(
        _env_file=None,
        database_url="sqlite+aiosqlite:///:memory:",
        redis_host=None,
        log_level="WARNING",
        metrics_enabled=metrics_enabled,
    )
    return create_app(settings, routers=[ping_router()], setup_logging=False)


async def measure(batches: int, requests: int) -> dict[str, list[float]]:
    apps = {"with_metrics": build(True), "without_metrics": build(False)}
    for app in apps.values():
        await cpu_per_request(app, 200, PATH)  # warm-up: imports, caches, first-call paths
    results: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(batches):
        for name, app in apps.items():
            results[name].append(await cpu_per_request(app, requests, PATH))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.batches, args.requests))
    with_metrics = statistics.median(results["with_metrics"])
    without = statistics.median(results["without_metrics"])
    report = {
        "with_metrics_us": with_metrics,
        "without_metrics_us": without,
        "metrics_cost_us": with_metrics - without,
        "metrics_cost_ratio": with_metrics / without - 1,
        "batches": args.batches,
        "requests_per_batch": args.requests,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"GET {PATH}, in-process ASGI calls, CPU time per request, median of "
            f"{args.batches} alternating batches of {args.requests}"
        )
        print(f"stack with metrics:    {with_metrics:8.1f} us")
        print(f"stack without metrics: {without:8.1f} us")
        print(
            f"metrics cost:          {with_metrics - without:8.1f} us per request "
            f"({report['metrics_cost_ratio']:+.1%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
