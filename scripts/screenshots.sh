#!/usr/bin/env bash
# Screenshots of the main pages at 1280 and 375 px into docs/screenshots/ (see scripts/screenshots.py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/screenshots.py "$@"
