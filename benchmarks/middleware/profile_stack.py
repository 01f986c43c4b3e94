"""Where the default stack's CPU goes: shares by layer, and bare FastAPI against the stack.

Three apps of ``bench_stack`` (``bare``: FastAPI and ``GET /ping``;
``stepless``: the same route from ``create_app`` with every edge step turned
off; ``stack``: ``create_app`` with every default step, the access log writing
JSON to /dev/null, the limiter on) are called in this process as ASGI apps,
with no server and no sockets, each request in its own task as a server runs it.

It prints two things:

- CPU time per request of each app (``time.process_time``, median of
  alternating batches) and the ratio bare/stack: what the stack costs on the
  same route with the server's own work left out. ``stepless`` against
  ``bare`` tells what create_app's FastAPI costs beyond bare FastAPI, and
  ``stack`` against ``stepless`` what the edge steps cost;
- a cProfile of the stack, its CPU split by layer: each edge step (the
  time inside its hooks), the edge runner itself, FastAPI inside the edge
  (routing, the endpoint, the response), and what is outside the edge
  (Starlette's and FastAPI's outer middleware, the event loop, this harness).

Run it from the repository root::

    python benchmarks/middleware/profile_stack.py
    python benchmarks/middleware/profile_stack.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if not __package__:
    sys.path.insert(0, str(HERE.parents[1]))
    sys.path.insert(0, str(HERE))

from bench_stack import PATH, bare_app, stack_app, stepless_app  # noqa: E402

from benchmarks.inprocess import cpu_per_request  # noqa: E402

HOOKS = ("on_request", "on_response_start", "on_response_end", "on_error")


def _layer_of(path: str, function: str) -> str | None:
    """The step a hook function belongs to, by its module."""
    if function not in HOOKS:
        return None
    if path.endswith(os.path.join("ratelimit", "middleware.py")):
        return "rate_limit"
    if os.path.join("fastmvc", "middleware") in path:
        return Path(path).stem
    return None


def layer_shares(stats: pstats.Stats) -> dict[str, float]:
    """Seconds per layer, from a profile of the stack (see the module docstring)."""
    table: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in table.values())  # the outermost frame's cumulative time
    layers: dict[str, float] = defaultdict(float)
    edge_total = app_inside = send_once = 0.0
    for (path, _line, function), (_cc, _nc, _tt, cumulative, _callers) in table.items():
        layer = _layer_of(path, function)
        if layer is not None:
            layers[f"step {layer}"] += cumulative
        elif path.endswith(os.path.join("middleware", "edge.py")):
            if function == "__call__":
                edge_total = cumulative
            elif function == "send_once":
                send_once = cumulative
        elif function == "__call__" and path.endswith(
            os.path.join("starlette", "middleware", "exceptions.py")
        ):
            app_inside = cumulative  # the app the edge wraps starts here
    hooks = sum(layers.values())
    layers["FastAPI inside the edge"] = app_inside - send_once
    # send_once runs inside the app; the start hooks it calls count with their steps.
    layers["edge runner"] = edge_total - (app_inside - send_once) - hooks
    layers["outside the edge (outer middleware, event loop, harness)"] = total - edge_total
    return dict(layers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batches", type=int, default=9)
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    parser.add_argument("--profiled", type=int, default=20000, help="requests under cProfile")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    # The stack's access log writes JSON lines to stderr; keep them off the terminal.
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved_stderr = os.dup(2)
    os.dup2(devnull, 2)
    try:
        apps = {"bare": bare_app(), "stepless": stepless_app(), "stack": stack_app()}

        async def measure() -> tuple[dict[str, float], dict[str, float]]:
            for app in apps.values():
                await cpu_per_request(app, 500, PATH)
            rounds: dict[str, list[float]] = {name: [] for name in apps}
            for _ in range(args.batches):
                for name, app in apps.items():
                    rounds[name].append(await cpu_per_request(app, args.requests, PATH))
            profile = cProfile.Profile()
            profile.enable()
            await cpu_per_request(apps["stack"], args.profiled, PATH)
            profile.disable()
            medians = {name: statistics.median(values) for name, values in rounds.items()}
            return medians, layer_shares(pstats.Stats(profile))

        medians, layers = asyncio.run(measure())
    finally:
        os.dup2(saved_stderr, 2)
        os.close(devnull)

    total = sum(layers.values())
    report = {
        "bare_us": medians["bare"],
        "stepless_us": medians["stepless"],
        "stack_us": medians["stack"],
        "ratio": medians["bare"] / medians["stack"],
        "shares": {name: seconds / total for name, seconds in layers.items()},
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"GET {PATH}, in-process ASGI calls, CPU per request, median of {args.batches} "
        f"alternating batches of {args.requests}"
    )
    print(f"bare FastAPI: {report['bare_us']:8.1f} us")
    print(f"no edge steps:{report['stepless_us']:8.1f} us")
    print(f"full stack:   {report['stack_us']:8.1f} us")
    print(f"throughput ratio stack/bare (CPU): {report['ratio']:.3f}")
    print(f"\nCPU shares of the stack under cProfile ({args.profiled} requests):")
    for name, share in sorted(report["shares"].items(), key=lambda item: -item[1]):
        print(f"  {share:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
