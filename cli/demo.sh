#!/usr/bin/env bash
# `make demo`: scaffold a shop into .demo/, add a Product entity, migrate it on
# SQLite and serve it. Run from the repository root with .venv installed.
# PORT (default 8000) and DEMO_DIR (default .demo) may be overridden.
set -euo pipefail

PORT="${PORT:-8000}"
DEMO_DIR="${DEMO_DIR:-.demo}"
FASTMVC="$(pwd)/.venv/bin/fastmvc"
if [ ! -x "$FASTMVC" ]; then
  echo "Error: $FASTMVC not found; install the project into .venv first" >&2
  exit 2
fi

# The demo runs embedded: SQLite and in-memory backends, whatever the shell has set.
unset DATABASE_URL REDIS_URL

rm -rf "$DEMO_DIR/shop"
mkdir -p "$DEMO_DIR"
"$FASTMVC" new shop --output-dir "$DEMO_DIR" --no-git
cd "$DEMO_DIR/shop"
"$FASTMVC" add entity Product name:str price:decimal stock:int
"$FASTMVC" migrate upgrade

BASE="http://127.0.0.1:$PORT"
cat <<EOT

FastMVC demo: $(pwd)
  API docs      $BASE/docs
  health        $BASE/health/ready
  products      $BASE/products  (Bearer token required)

In another terminal, paste:

  BASE=$BASE
  curl -s -X POST \$BASE/auth/register -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com", "password": "correct horse battery"}'; echo
  TOKEN=\$(curl -s -X POST \$BASE/auth/login -H 'Content-Type: application/json' \\
       -d '{"email": "ada@example.com", "password": "correct horse battery"}' \\
       | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["access_token"])')
  curl -s -X POST \$BASE/products -H "Authorization: Bearer \$TOKEN" \\
       -H 'Content-Type: application/json' -d '{"name": "Coffee", "price": "4.50", "stock": 10}'; echo
  curl -s "\$BASE/products?price__lt=10&sort=-price" -H "Authorization: Bearer \$TOKEN"; echo

Serving on $BASE (Ctrl+C to stop)…
EOT

exec "$FASTMVC" run --port "$PORT" --no-reload
