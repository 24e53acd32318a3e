#!/usr/bin/env bash
# fuzz.sh runs every fuzz target for a bounded budget each: an execution
# count such as 300000x (the default) or a duration such as 60s.
#
# CI uses counts: with a duration, Go 1.26's fuzz coordinator can report a
# spurious "context deadline exceeded" at the end of the window with no
# crasher (golang/go#75804, fixed in Go 1.27). A real crasher is written to
# testdata/fuzz/<target>/ by go test; commit it as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-300000x}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "-- $pkg $target ($budget)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$budget" "$pkg"
  done
done
