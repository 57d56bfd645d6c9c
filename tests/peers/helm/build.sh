#!/usr/bin/env bash
# Builds the helm peer into tests/peers/.bin (called by tests/peers/run.sh; run it alone before
# `npx tap --disable-coverage tests/peers/helm.test.ts`):
#   - helm, the pinned release, with `go install` (skipped when .bin/helm already is that release);
#   - kube-decode (./kube-decode, pinned in go.mod), which decodes every object of a multi-document
#     YAML strictly into the upstream Go type of its apiVersion/kind;
#   - kustomize-build (./kustomize-build), `kustomize build DIR` with the kustomize pinned in go.mod.
# Go 1.27 or later (the API modules need it): GOTOOLCHAIN=auto fetches it through the module proxy.
set -euo pipefail
HELM_VERSION=v3.21.4
# The Kubernetes version helm assumes without a cluster (.Capabilities.KubeVersion for `helm template`,
# and what `helm lint` checks deprecated APIs against). helm's Makefile derives it from its
# k8s.io/client-go (v0.36.2 in v3.21.4 → 1.36) and sets it with -ldflags, as it sets the version;
# `go install` alone would leave the defaults v3.21 and v1.20.
HELM_KUBE_MINOR=36
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$here/.." && pwd)/.bin"
mkdir -p "$bin"
export GOFLAGS="${GOFLAGS:--modcacherw}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export GOBIN="$bin"

have="$("$bin/helm" version --template '{{.Version}}' 2>/dev/null || true)"
if [ "$have" = "$HELM_VERSION" ]; then
  echo "helm $HELM_VERSION already in $bin"
else
  echo "installing helm $HELM_VERSION into $bin"
  # outside this module: `go install pkg@version` resolves helm's own go.mod, not ours
  ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in pkg/lint/rules pkg/chartutil; do
    ldflags="$ldflags -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$HELM_KUBE_MINOR"
  done
  (cd "$bin" && go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  have="$("$bin/helm" version --template '{{.Version}}')"
  [ "$have" = "$HELM_VERSION" ] || { echo "built helm says $have, not $HELM_VERSION" >&2; exit 1; }
fi

cd "$here"
go build -o "$bin/kube-decode" ./kube-decode
echo "kube-decode built into $bin"
go build -o "$bin/kustomize-build" ./kustomize-build
echo "kustomize-build built into $bin"
