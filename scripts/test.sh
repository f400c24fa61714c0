#!/usr/bin/env bash
# Install everything and run the whole suite: lint, formatting, strict types, and the tests
# (on SQLite and on the PostgreSQL and Redis servers at 127.0.0.1:5432 and :6379).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
source scripts/lib/node_tools.sh
echo "== ruff"; .venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check --quiet src tests benchmarks scripts
echo "== mypy"; .venv/bin/mypy src/tutela
# The browser tests drive Debian's Chromium (never a downloaded browser); install it when we may.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  echo "== chromium"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || echo "chromium could not be installed: browser tests are skipped (and fail in CI)"
fi
source scripts/lib/install_browser_tests.sh
echo "== pytest"; exec .venv/bin/pytest -n "${TUTELA_TEST_WORKERS:-3}" "$@"
