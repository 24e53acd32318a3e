#!/usr/bin/env bash
# fuzz.sh runs every fuzz target for a bounded time each (default 60s).
# A crasher is written to testdata/fuzz/ by go test; commit it as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-60s}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "-- $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
  done
done
