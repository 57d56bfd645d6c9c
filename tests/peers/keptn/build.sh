#!/usr/bin/env bash
# Builds keptn-peer (Keptn's own Go models, pinned in go.mod) into tests/peers/.bin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../.bin"
mkdir -p "$out"
export GOFLAGS="${GOFLAGS:--modcacherw}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
cd "$here"
go build -trimpath -o "$out/keptn-peer" .
