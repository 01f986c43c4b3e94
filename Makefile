# One target per task. Every target makes or reuses .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
DEMO_DIR ?= .demo

export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: help venv dev wheel install-wheel services tools test lint audit bench mutation demo clean

help:
	@echo "make demo   - scaffold a sample project, migrate it on SQLite and serve it"
	@echo "make test   - build and install the wheel, check PostgreSQL and Redis, run pytest"
	@echo "make lint   - ruff check + mypy --strict"
	@echo "make audit  - pip-audit over the installed packages (says so when it cannot reach the advisories)"
	@echo "make bench  - run benchmarks/ and write benchmarks/RESULTS.md"
	@echo "make mutation - mutation scores of the critical modules into benchmarks/MUTATION.md (slow)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(BIN)/python

# Editable install for day-to-day work and linting.
dev: venv
	$(PIP) install -e '.[dev]'

# The built wheel, so a file missing from the package fails the tests.
wheel: venv
	rm -rf dist
	$(PIP) install build
	$(BIN)/python -m build --wheel --outdir dist . >/dev/null

install-wheel: wheel
	$(PIP) install --force-reinstall --no-deps dist/*.whl
	$(PIP) install "$$(ls dist/*.whl)[dev]"
	@if [ -f benchmarks/requirements.txt ]; then $(PIP) install -r benchmarks/requirements.txt; fi

# PostgreSQL and Redis must answer; start them if they are down (CI=true: still down = failure).
services:
	@.ci/services

# Debian packages the tests and benchmarks drive: wrk (HTTP load), chromium (the docs
# pages in a real browser, through Playwright's Python API; Playwright's own browser
# download is never used) and docker-compose (`docker-compose config` validates the
# compose files; no Docker engine needed).
TOOLS := wrk:wrk chromium:chromium docker-compose:docker-compose

tools:
	@missing=""; for pair in $(TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing from Debian's packages"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing and cannot be installed here:$$missing"; fi; fi

test: install-wheel services tools
	$(BIN)/python -m pytest -q -ra -p no:randomly $(PYTEST_ARGS)

lint: dev
	$(BIN)/ruff check fastmvc cli tests benchmarks
	$(BIN)/mypy

# Known vulnerabilities in what .venv has installed. Without the advisory
# database it prints "AUDIT SKIPPED" instead of passing silently.
audit: dev
	$(BIN)/python .ci/audit

bench: install-wheel services tools
	$(BIN)/python -m benchmarks

# Not part of `make test`: it reruns tests once per mutant (7 min on 2 cores, after installing).
mutation: dev
	$(PIP) install -r benchmarks/mutation/requirements.txt
	$(BIN)/python -m benchmarks.mutation $(MUTATION_ARGS)

demo: dev
	@DEMO_DIR=$(DEMO_DIR) bash cli/demo.sh

clean:
	rm -rf dist build $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache .mutation
