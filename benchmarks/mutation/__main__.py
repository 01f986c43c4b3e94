"""``python -m benchmarks.mutation`` (``make mutation``): mutation scores of the critical modules.

For each line of :data:`~benchmarks.mutation.targets.TARGETS`, a scratch copy of
the package and the tests is made under ``.mutation/``, mutmut mutates that one
module and runs, for every mutant, the listed tests that reach the mutated
function. The scores and the wall time go into ``benchmarks/MUTATION.md``
between its markers; each survivor's diff goes to ``.mutation/<module>.survivors``.

Exit status 1 when a module scores under the target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.mutation.targets import FAST_ONLY, TARGET_SCORE, TARGETS

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = ROOT / ".mutation"
REPORT = ROOT / "benchmarks" / "MUTATION.md"
START, END = "<!-- mutation-scores:start -->", "<!-- mutation-scores:end -->"

# mutmut's words for a mutant the tests noticed; "no tests" and "survived" are misses.
DETECTED = {"killed", "timeout", "segfault", "suspicious"}
_RESULT_LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")


@dataclass
class Score:
    module: str
    statuses: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def killed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status in DETECTED)

    @property
    def ratio(self) -> float:
        return self.killed / self.total if self.total else 0.0


def _mutmut() -> str:
    found = Path(sys.executable).with_name("mutmut")
    if not found.exists():
        raise SystemExit("mutmut is missing: pip install -r benchmarks/mutation/requirements.txt")
    return str(found)


def _slug(module: str) -> str:
    return module.removeprefix("fastmvc/").removesuffix(".py").replace("/", ".")


def test_files(pattern: str) -> list[str]:
    """The test files a target's glob names; none is a mistake in the table."""
    found = sorted(path.relative_to(ROOT).as_posix() for path in ROOT.glob(pattern))
    if not found:
        raise SystemExit(f"no test file matches {pattern!r}")
    return found


def prepare(module: str, tests: list[str]) -> Path:
    """A fresh scratch project: the package, the tests and a pyproject with mutmut's settings."""
    work = SCRATCH / _slug(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("fastmvc", "tests"):
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore)
    settings = {
        "source_paths": ["fastmvc"],
        "only_mutate": [module],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-m", FAST_ONLY, "-p", "no:cacheprovider"],
    }
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    pyproject = (ROOT / "pyproject.toml").read_text()
    (work / "pyproject.toml").write_text(pyproject + "\n[tool.mutmut]\n" + "\n".join(lines) + "\n")
    return work


def run_module(module: str, tests: list[str], children: int) -> Score:
    work = prepare(module, tests)
    # The fast tests run on SQLite and memory backends whatever the caller exported.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    started = time.monotonic()
    with (work / "run.log").open("w") as log:
        subprocess.run(
            [_mutmut(), "run", "--max-children", str(children)],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    score = Score(module, seconds=time.monotonic() - started)
    listing = subprocess.run(
        [_mutmut(), "results", "--all", "true"],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    for line in listing.stdout.splitlines():
        match = _RESULT_LINE.match(line)
        if match:
            score.statuses[match["status"]] += 1
            if match["status"] not in DETECTED:
                score.survivors.append(match["name"])
    if not score.total:
        tail = (work / "run.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut produced no results for {module}:\n{tail}")
    diffs = [
        subprocess.run(
            [_mutmut(), "show", name], cwd=work, env=env, capture_output=True, text=True,
            check=False,
        ).stdout
        for name in score.survivors
    ]  # fmt: skip
    (SCRATCH / f"{_slug(module)}.survivors").write_text("\n".join(diffs))
    return score


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def table(scores: list[Score], wall: float, load_before: str, load_after: str) -> str:
    rows = [
        "| module | mutants | killed | survived | no tests | timeout | score | time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        rows.append(
            f"| `{s.module}` | {s.total} | {s.killed} | {s.statuses['survived']} "
            f"| {s.statuses['no tests']} | {s.statuses['timeout']} "
            f"| **{100 * s.ratio:.1f} %** | {s.seconds / 60:.1f} min |"
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"Last full run: {when}, `make mutation`, {wall / 60:.1f} min wall time in all, "
            f"on {os.cpu_count()} CPUs ({platform.machine()}, Python {platform.python_version()}); "
            f"1-minute load average {load_before} at the start and {load_after} at the end "
            "(the machine was shared with other jobs).",
            "",
            *rows,
        ]
    )


def write_report(text: str) -> None:
    report = REPORT.read_text()
    head, _, rest = report.partition(START)
    _, _, tail = rest.partition(END)
    REPORT.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(TARGETS), help="one module")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    chosen = args.only or list(TARGETS)

    load_before, started, scores = _load(), time.monotonic(), []
    for module in chosen:
        tests = test_files(TARGETS[module])
        print(f"mutating {module} against {' '.join(tests)}", flush=True)
        score = run_module(module, tests, args.children)
        scores.append(score)
        print(
            f"  {score.killed}/{score.total} killed ({100 * score.ratio:.1f} %), "
            f"{len(score.survivors)} left, {score.seconds:.0f} s",
            flush=True,
        )
    text = table(scores, time.monotonic() - started, load_before, _load())
    print(text)
    if args.only is None:  # only a full run speaks for every module
        write_report(text)
    low = [s.module for s in scores if s.ratio < TARGET_SCORE]
    if low:
        print(f"under {TARGET_SCORE:.0%}: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
