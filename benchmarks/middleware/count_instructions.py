"""Instructions per request of the stack's variants, by callgrind: the same on a busy machine.

CPU time per request moves with whatever else the two cores are doing;
the number of instructions a request executes does not. This script runs
one variant of ``bench_stack``'s app in-process (as ``inprocess`` does)
under ``valgrind --tool=callgrind`` twice, with a warm-up only and with
``--requests`` more, and divides the difference by ``--requests``: start-up
and warm-up cancel out.

Variants: ``bare`` (bare FastAPI), ``stepless`` (create_app with every edge
step turned off), ``stack`` (every default step on), and ``stack-STEP`` for
the stack without one step (``stack-rate_limit``, ``stack-access_log``…), so
each step's share is the stack's count minus the variant's.

Not part of ``make bench``: each variant takes two to five minutes under
valgrind. Run it from the repository root::

    python benchmarks/middleware/count_instructions.py bare stepless stack stack-rate_limit

Needs valgrind (Debian's package). Instructions are not time (a cache miss
or a system call costs time, not instructions), so the CPU-time figures of
``profile_stack`` stay the measure; this one tells where the difference is.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if not __package__:
    sys.path.insert(0, str(HERE.parents[1]))
    sys.path.insert(0, str(HERE))

WARMUP = 300
_COLLECTED = re.compile(r"Collected : (\d+)")


def build(variant: str) -> Any:
    """The app a variant names (see the module docstring)."""
    from bench_stack import bare_app, stack_app, stepless_app

    if variant == "bare":
        return bare_app()
    if variant == "stepless":
        return stepless_app()
    if variant == "stack":
        return stack_app()
    if variant.startswith("stack-"):
        return stack_app(variant.removeprefix("stack-"))
    raise SystemExit(f"unknown variant {variant!r}")


def serve_requests(variant: str, requests: int) -> None:
    """In this process: the warm-up, then ``requests`` more (what callgrind counts)."""
    from bench_stack import PATH

    from benchmarks.inprocess import cpu_per_request

    app = build(variant)

    async def run() -> None:
        await cpu_per_request(app, WARMUP, PATH)
        # As create_app's lifespan does on a server: without it, a full
        # collection that happens to fall in one run and not in the other
        # walks every long-lived object and adds tens of thousands of
        # instructions to each request of that run.
        gc.collect()
        gc.freeze()
        if requests:
            await cpu_per_request(app, requests, PATH)

    asyncio.run(run())


def collected(valgrind: str, variant: str, requests: int) -> int:
    """Instructions callgrind counted for the whole process."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "valgrind.log"
        command = [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            f"--log-file={log}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            variant,
            str(requests),
        ]
        # The app's access log goes to stderr: thousands of lines nobody reads.
        code = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        report = log.read_text() if log.exists() else ""
    found = _COLLECTED.search(report)
    if code != 0 or found is None:
        raise SystemExit(f"{variant}: valgrind failed (exit {code}):\n{report[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("variants", nargs="*", default=["bare", "stepless", "stack"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        serve_requests(args.child[0], int(args.child[1]))
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    for variant in args.variants:
        per_request = (
            collected(valgrind, variant, args.requests) - collected(valgrind, variant, 0)
        ) / args.requests
        print(f"{variant:<16}{per_request:>12,.0f} instructions per request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
