# Sourced by test.sh: the npm packages the tests use as independent checkers of Tutela's LMS exports
# (gift-pegjs parses GIFT, scorm-again is the SCORM runtime the packages run in), pinned by
# tests/node/package-lock.json. Idempotent: reinstalls only when the lock file changed.
if command -v npm >/dev/null 2>&1; then
  if [ ! -f tests/node/node_modules/.package-lock.json ] \
    || ! cmp -s tests/node/package-lock.json tests/node/node_modules/.installed-lock.json; then
    echo "== npm test tools"
    if (cd tests/node && npm ci --no-audit --no-fund --silent); then
      cp tests/node/package-lock.json tests/node/node_modules/.installed-lock.json
    else
      echo "npm test tools could not be installed: export checks are skipped (and fail in CI)"
    fi
  fi
else
  echo "npm is missing: export checks are skipped (and fail in CI)"
fi
