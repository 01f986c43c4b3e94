#!/bin/sh
# Middleware stack vs bare FastAPI, one uvicorn worker each, loaded by wrk.
# Usage: benchmarks/middleware/run.sh [--duration SECONDS] [--connections N] [--json]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-"$ROOT/.venv/bin/python"}
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" "$ROOT/benchmarks/middleware/bench_stack.py" "$@"
