"""Drive wrk and read its ``--latency`` report (shared by every wrk-based suite)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "WrkResult",
    "delete_script",
    "ensure_wrk",
    "parse_wrk",
    "patch_script",
    "post_script",
    "random_get_script",
    "run_wrk",
]

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run's figures."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def ensure_wrk() -> str:
    """wrk's path; installs it with apt-get when missing and running as root.

    Raises:
        RuntimeError: wrk is missing and could not be installed.
    """
    found = shutil.which("wrk")
    if found is None and os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing; installing it with apt-get", file=sys.stderr)
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        # Try the cached package lists first: `apt-get update` is the slow part.
        if subprocess.run(install, check=False, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
            subprocess.run(install, check=True, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk, or `make tools`)")
    return found


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, p50, p99 and failures from ``wrk --latency`` output."""
    # wrk pads second-scale latencies ("1.05s ") with a trailing space.
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)[ \t]*$", output, re.MULTILINE))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if rps is None or total is None or set(percentiles) != {"50", "99"}:
        raise ValueError(f"could not parse wrk output:\n{output}")
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_to_ms(percentiles["50"]),
        p99_ms=_to_ms(percentiles["99"]),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(count) for count in errors.groups()) if errors else 0,
    )


def random_get_script(directory: Path, prefix: str, max_id: int) -> Path:
    """A wrk script that GETs ``prefix/<random id in 1..max_id>``."""
    path = directory / "random_get.lua"
    path.write_text(
        "math.randomseed(os.time())\n"
        "request = function()\n"
        f'  return wrk.format("GET", "{prefix}/" .. math.random(1, {max_id}))\n'
        "end\n"
    )
    return path


def post_script(directory: Path, body: dict[str, object]) -> Path:
    """A wrk script that POSTs ``body`` as JSON."""
    path = directory / "post.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def patch_script(directory: Path, prefix: str, max_id: int) -> Path:
    """A wrk script that PATCHes ``prefix/<id>`` with a random ``stock`` (a real change).

    Ids go round 1..``max_id`` in turn, so requests in flight never touch the
    same row (a version check would otherwise refuse one of them).
    """
    path = directory / "patch.lua"
    path.write_text(
        "math.randomseed(os.time())\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"local next_id = math.random(0, {max_id - 1})\n"
        "request = function()\n"
        f"  next_id = (next_id % {max_id}) + 1\n"
        '  local body = \'{"stock": \' .. math.random(0, 2000000000) .. "}"\n'
        f'  return wrk.format("PATCH", "{prefix}/" .. next_id, nil, body)\n'
        "end\n"
    )
    return path


def delete_script(directory: Path, prefix: str, first_id: int, name: str = "delete") -> Path:
    """A wrk script that DELETEs ``prefix/<id>`` for ids ``first_id``, ``first_id + 1``, …

    Each id once (wrk runs it with one thread, so one counter), so every
    request deletes a row that exists.
    """
    path = directory / f"{name}.lua"
    path.write_text(
        f"local next_id = {first_id}\n"
        "request = function()\n"
        "  next_id = next_id + 1\n"
        f'  return wrk.format("DELETE", "{prefix}/" .. (next_id - 1))\n'
        "end\n"
    )
    return path


def run_wrk(
    wrk: str,
    url: str,
    *,
    duration: float,
    connections: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
    threads: int = 1,
) -> WrkResult:
    """Run wrk once and parse its report."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return parse_wrk(completed.stdout)
