#!/usr/bin/env bash
# Builds tests/peers/.bin/argocd-notify (gitignored): argoproj/notifications-engine's controller,
# config parsing and webhook service, at the version Argo CD v3.6.1 pins, over Applications built
# with Argo CD v3.6.1's own v1alpha1 types (go.mod/go.sum pin both; see README.md). Nothing
# upstream is committed: the modules come from the Go module proxy at build time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../.bin"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:--modcacherw}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
echo "== argocd-notify"
(cd "$here" && go build -trimpath -o "$bin/argocd-notify" .)
