#!/usr/bin/env bash
# Install everything and run the whole suite: lint, formatting, strict types, and the tests
# (on SQLite and on the PostgreSQL and Redis servers at 127.0.0.1:5432 and :6379).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
echo "== ruff"; .venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check --quiet src tests benchmarks scripts
echo "== mypy"; .venv/bin/mypy src/tutela
echo "== pytest"; exec .venv/bin/pytest "$@"
