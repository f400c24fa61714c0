# Sourced by test.sh: what the browser tests need besides Python packages. axe-core (the accessibility
# checker injected into each page) comes from npm into tests/e2e/node_modules; quick when already there.
if command -v npm >/dev/null 2>&1 && [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then
  echo "== axe-core"
  npm install --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null \
    || echo "axe-core could not be installed: accessibility checks are skipped (and fail in CI)"
fi
