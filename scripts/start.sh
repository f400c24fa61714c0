#!/usr/bin/env bash
# Install everything and start Tutela on the embedded defaults: SQLite, local folders, the built-in model.
# A demo organization is created on first start and its sign-in details are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
TUTELA_EXTRAS=${TUTELA_EXTRAS:-dev} source scripts/lib/install.sh
exec .venv/bin/tutela serve --demo "$@"
