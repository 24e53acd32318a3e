#!/usr/bin/env bash
# test.sh runs the whole test suite: Go tests with the race detector (the
# library's module, then the benchmark's, internal/bench, and the router
# examples', examples/routers), then the end-to-end tests (official
# socket.io-client, the generated client in Node, and the example chat in
# Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== go test -race ./..."
go test -race -count=1 ./...
echo "== go test -race ./... in internal/bench (the benchmark's own module)"
(cd internal/bench && go test -race -count=1 ./...)
echo "== go test -race ./... in examples/routers (the router examples' own module)"
(cd examples/routers && go test -race -count=1 ./...)

echo "== end-to-end tests (e2e/)"
bindir="$(mktemp -d)"
trap 'rm -rf "$bindir"' EXIT
for example in chat teamchat conformance; do
  go build -o "$bindir/$example" "./examples/$example"
done
(cd e2e && EVENTWIRE_BIN_DIR="$bindir" npm test)
