#!/usr/bin/env bash
# Builds the Flux peers into tests/peers/.bin (gitignored):
#  - flux-forward-<nc version>: notification-controller's own event server + generic/generic-hmac
#    notifier, built inside a copy of the pinned module (its internal packages cannot be imported
#    from outside, and its go.mod `replace ./api` rules out `go install`);
#  - flux-events: our generator of controller events (tests/peers/flux/events, its own go.mod).
# Nothing upstream is committed: the module comes from the Go module proxy at build time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../.bin"
work="$bin/flux-work"
mkdir -p "$bin" "$work"
export GOFLAGS="${GOFLAGS:--modcacherw}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"

# notification-controller versions and the shim that fits their event server internals.
#   v1.9.3: Flux 2.9 line (newest release); `token` used raw (v1.7+ behaviour).
#   v1.6.0: Flux 2.6 line; `token` trimmed (v1.3–v1.6 behaviour).
# v1.8.x (Flux 2.8), v1.7.x and <= v1.2 are not served by the module proxy reachable here.
PINS=${FLUX_NC_VERSIONS:-"v1.9.3:v1.9 v1.6.0:v1.6"}

moddir () { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

for pin in $PINS; do
  version="${pin%%:*}" shim="${pin##*:}"
  out="$bin/flux-forward-$version"
  stamp="$out.stamp"
  want="$(cat "$here/forwarder/main.go.txt" "$here/forwarder/shim-$shim.go.txt" | sha256sum | cut -c1-16)"
  if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then continue; fi
  echo "== flux-forward-$version"
  src="$(moddir "github.com/fluxcd/notification-controller@$version")"
  api="$(moddir "github.com/fluxcd/notification-controller/api@$version")"
  [ -n "$src" ] && [ -n "$api" ] || { echo "cannot download notification-controller $version" >&2; exit 1; }
  dir="$work/notification-controller-$version"
  rm -rf "$dir"
  cp -r "$src" "$dir"
  chmod -R u+w "$dir"
  # The module zip leaves out ./api (a module of its own); put the same tag's api where the
  # upstream `replace github.com/fluxcd/notification-controller/api => ./api` expects it.
  rm -rf "$dir/api" && cp -r "$api" "$dir/api" && chmod -R u+w "$dir/api"
  cp "$here/forwarder/shim-$shim.go.txt" "$dir/internal/server/zz_keptn_peer.go"
  mkdir -p "$dir/cmd/keptn-peer-forward"
  cp "$here/forwarder/main.go.txt" "$dir/cmd/keptn-peer-forward/main.go"
  (cd "$dir" && go build -trimpath -ldflags "-X main.ncVersion=$version" -o "$out" ./cmd/keptn-peer-forward)
  echo "$want" > "$stamp"
done

echo "== flux-events"
(cd "$here/events" && go build -trimpath -o "$bin/flux-events" .)
