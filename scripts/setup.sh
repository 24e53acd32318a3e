#!/usr/bin/env bash
# setup.sh installs what the tests need, idempotently: the end-to-end npm
# packages (pinned in e2e/package-lock.json) and Debian's chromium for the
# browser tests. It is safe to run on every test run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f e2e/node_modules/.package-lock.json ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  echo "setup: installing e2e npm packages"
  (cd e2e && npm ci --no-audit --no-fund)
fi

if [ ! -x "${EVENTWIRE_CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing and this is not root; browser tests will skip (install the chromium package)" >&2
  fi
fi
