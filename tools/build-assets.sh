#!/usr/bin/env bash
# Builds the real parts the integration tests stand on, from the Go module proxy, into a cache
# outside the repository:  etcd, kube-apiserver, kube-controller-manager (the control plane),
# sops, kubeseal and the sealed-secrets controller (the interop peers), kustomize and helm (tools
# the product runs or renders with); with `bench`, also the
# tools the benchmarks compare against (gitleaks), which no test needs.
#
# Each binary is built once per version; a later run finds it and does nothing.
# Usage: tools/build-assets.sh [all|control-plane|peers|tools|bench]     (default: all)
# Env:   SEALOPS_CACHE (default ~/.cache/sealops), K8S_VERSION, ETCD_VERSION, SOPS_VERSION,
#        SEALED_SECRETS_VERSION, GITLEAKS_VERSION.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
SOPS_VERSION="${SOPS_VERSION:-v3.13.3}"
SEALED_SECRETS_VERSION="${SEALED_SECRETS_VERSION:-v0.40.0}"
GITLEAKS_VERSION="${GITLEAKS_VERSION:-v8.30.1}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
CACHE="${SEALOPS_CACHE:-$HOME/.cache/sealops}"
BIN="$CACHE/bin"
WORK="$CACHE/build"
what="${1:-all}"

mkdir -p "$BIN" "$WORK"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

# One build at a time per cache: the test harness may start this while CI or a user runs it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.build.lock"
  flock 9
fi

have() { [ -x "$BIN/$1" ] && [ -f "$BIN/$1.version" ] && [ "$(cat "$BIN/$1.version")" = "$2" ]; }
done_with() { echo "$2" >"$BIN/$1.version"; echo "built $1 $2 (${SECONDS}s since start)"; }

# Asked only when something is missing: a warm cache needs no Go.
require_go() {
  command -v go >/dev/null 2>&1 && return 0
  echo "failed to build $1: no Go toolchain on PATH." >&2
  echo "hint: install Go (https://go.dev/dl) and run this again, or (control plane only) set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver (setup-envtest use)." >&2
  exit 3
}

build_kube() {
  # The cache key says "stamped": binaries built before the version ldflags answered
  # v0.0.0-master, which Helm's kubeVersion checks and kubectl's skew warnings misread.
  local key="$K8S_VERSION stamped"
  have kube-apiserver "$key" && have kube-controller-manager "$key" && return 0
  require_go "kube-apiserver $K8S_VERSION"
  local minor="${K8S_VERSION#v1.}"; local staging="v0.${minor}"
  local d="$WORK/kube-$K8S_VERSION"; rm -rf "$d"; mkdir -p "$d/kube-apiserver" "$d/kube-controller-manager"
  cd "$d"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 with local replaces; the wrapper
  # module pins each to the matching released v0.X.Y instead.
  go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
  local gomod; gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod"
  {
    echo "module sealops.dev/kube-assets"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    # Only the staging modules (those replaced by ./staging/src/...): k8s.io/utils and friends
    # are ordinary pseudo-versioned requirements and must stay as they are.
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/' "$gomod" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $staging"; done
  } >go.mod
  cat >kube-apiserver/main.go <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
GO
  cat >kube-controller-manager/main.go <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() { os.Exit(cli.Run(app.NewControllerManagerCommand())) }
GO
  go mod tidy
  # The same variables Kubernetes' own hack/lib/version.sh stamps, so /version answers the release.
  local minor_only="${minor%%.*}" ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor_only"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags="$ldflags" -o "$BIN/kube-apiserver" ./kube-apiserver
  done_with kube-apiserver "$key"
  go build -trimpath -ldflags="$ldflags" -o "$BIN/kube-controller-manager" ./kube-controller-manager
  done_with kube-controller-manager "$key"
}

build_etcd() {
  have etcd "$ETCD_VERSION" && return 0
  require_go "etcd $ETCD_VERSION"
  local d="$WORK/etcd-$ETCD_VERSION"; rm -rf "$d"; mkdir -p "$d"; cd "$d"
  cat >go.mod <<MOD
module sealops.dev/etcd-assets
go 1.26
require go.etcd.io/etcd/server/v3 $ETCD_VERSION
replace go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
replace go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
replace go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
replace go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
MOD
  cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go mod tidy
  go build -trimpath -ldflags="-s -w" -o "$BIN/etcd" .
  done_with etcd "$ETCD_VERSION"
}

# go install works for these: their main modules carry no local replaces.
build_go_install() { # name version package
  have "$1" "$2" && return 0
  require_go "$1 $2"
  GOBIN="$BIN" go install -trimpath -ldflags="-s -w" "$3@$2"
  done_with "$1" "$2"
}

build_sealed_secrets() {
  have kubeseal "$SEALED_SECRETS_VERSION" && have sealed-secrets-controller "$SEALED_SECRETS_VERSION" && return 0
  require_go "kubeseal $SEALED_SECRETS_VERSION"
  # The project moved to github.com/bitnami/sealed-secrets but the proxy serves it only under
  # the old bitnami-labs path, whose go.mod declares the new one: a wrapper module maps the two.
  local d="$WORK/ss-$SEALED_SECRETS_VERSION"; rm -rf "$d"; mkdir -p "$d"; cd "$d"
  cat >go.mod <<MOD
module sealops.dev/sealed-secrets-assets
go 1.26
require github.com/bitnami/sealed-secrets $SEALED_SECRETS_VERSION
replace github.com/bitnami/sealed-secrets => github.com/bitnami-labs/sealed-secrets $SEALED_SECRETS_VERSION
tool (
	github.com/bitnami/sealed-secrets/cmd/kubeseal
	github.com/bitnami/sealed-secrets/cmd/controller
)
MOD
  go mod tidy
  go build -trimpath -ldflags="-s -w" -o "$BIN/kubeseal" github.com/bitnami/sealed-secrets/cmd/kubeseal
  done_with kubeseal "$SEALED_SECRETS_VERSION"
  go build -trimpath -ldflags="-s -w" -o "$BIN/sealed-secrets-controller" github.com/bitnami/sealed-secrets/cmd/controller
  done_with sealed-secrets-controller "$SEALED_SECRETS_VERSION"
}

build_tools() {
  build_go_install kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
  build_go_install helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
}

build_peers() {
  build_go_install sops "$SOPS_VERSION" github.com/getsops/sops/v3/cmd/sops
  build_sealed_secrets
}

case "$what" in
  control-plane) build_etcd; build_kube ;;
  peers) build_peers ;;
  tools) build_tools ;;
  all) build_tools; build_peers; build_etcd; build_kube ;;
  bench) build_go_install gitleaks "$GITLEAKS_VERSION" github.com/zricethezav/gitleaks/v8 ;;
  *) echo "usage: $0 [all|control-plane|peers|tools|bench]" >&2; exit 2 ;;
esac
echo "assets in $BIN"
