#!/usr/bin/env bash
# npm run test:peers: build the Go conformance programs (each peer's own libraries, pinned in its
# go.mod) into tests/peers/.bin, then run the tap tests that drive the bridge with them.
# Go modules and builds are cached in Go's default caches, so a second run downloads nothing.
set -euo pipefail
cd "$(dirname "$0")"
GO_VERSION=1.26.8

go_ok () {
  command -v go >/dev/null 2>&1 || return 1
  local minor
  minor="$(go env GOVERSION 2>/dev/null | sed -nE 's/^go1\.([0-9]+).*/\1/p')"
  [ -n "$minor" ] && [ "$minor" -ge 21 ]
}
# Go >= 1.21 (GOTOOLCHAIN) is needed: each go.mod names the toolchain it builds with.
if ! go_ok && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
if ! go_ok && [ -x /tmp/kgb-go/go/bin/go ]; then export PATH="/tmp/kgb-go/go/bin:$PATH"; fi
if ! go_ok; then
  # Debian's golang-go is too old to switch toolchains, but it knows the Go module proxy, which
  # serves Go itself as the module golang.org/toolchain.
  if ! command -v go >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "== installing golang-go, curl, unzip (to fetch Go $GO_VERSION from the Go module proxy)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go curl unzip >/dev/null
    else
      echo "test:peers needs Go $GO_VERSION or later on PATH (https://go.dev/dl)" >&2
      exit 1
    fi
  fi
  proxy="$(go env GOPROXY | cut -d, -f1)"
  echo "== fetching Go $GO_VERSION as golang.org/toolchain from $proxy"
  rm -rf /tmp/kgb-go && mkdir -p /tmp/kgb-go
  curl -fsSL "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$(go env GOARCH).zip" -o /tmp/kgb-go/go.zip
  unzip -q /tmp/kgb-go/go.zip -d /tmp/kgb-go
  mv "/tmp/kgb-go/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$(go env GOARCH)" /tmp/kgb-go/go
  chmod +x /tmp/kgb-go/go/bin/* /tmp/kgb-go/go/pkg/tool/*/* 2>/dev/null || true
  export PATH="/tmp/kgb-go/go/bin:$PATH"
  go_ok || { echo "could not set up Go $GO_VERSION" >&2; exit 1; }
fi
echo "== $(go version)"
export GOFLAGS="${GOFLAGS:--modcacherw}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p .bin
for build in */build.sh; do
  echo "== building ${build%/build.sh}"
  bash "$build"
done
cd ../..
[ $# -gt 0 ] || set -- tests/peers/*.test.ts
exec npx tap --disable-coverage --timeout=900 "$@"
