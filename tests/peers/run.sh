#!/usr/bin/env bash
# npm run test:peers: build the Go conformance programs (each peer's own libraries, pinned in its
# go.mod) into tests/peers/.bin, then run the tap tests that drive the bridge with them.
# Go modules and builds are cached in Go's default caches, so a second run downloads nothing.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v go >/dev/null 2>&1; then
  echo "test:peers needs Go (1.26 or later): apt-get install golang-go, or https://go.dev/dl" >&2
  exit 1
fi
export GOFLAGS="${GOFLAGS:--modcacherw}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p .bin
for build in */build.sh; do
  echo "== building ${build%/build.sh}"
  bash "$build"
done
cd ../..
[ $# -gt 0 ] || set -- tests/peers/*.test.ts
exec npx tap --disable-coverage --timeout=600 "$@"
