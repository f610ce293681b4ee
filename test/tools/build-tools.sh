#!/usr/bin/env bash
# Build (once) and cache the binaries used by the operator, chart and real-node tests:
# kube-apiserver, kube-controller-manager, etcd, helm, promtool, and for the real node (test/e2e) kubelet and
# kube-scheduler.
#
# Versions come from the wrapper modules next to this script:
#   kube/go.mod      -> require k8s.io/kubernetes vX.Y.Z (+ replace k8s.io/<staging> => v0.Y.Z)
#   etcd/go.mod      -> require go.etcd.io/etcd/server/v3 vX.Y.Z
#   helm/go.mod      -> require helm.sh/helm/v3 vX.Y.Z          (tool helm.sh/helm/v3/cmd/helm)
#   promtool/go.mod  -> require github.com/prometheus/prometheus v0.3MM.P, which is Prometheus 3.MM.P
#                       (tool github.com/prometheus/prometheus/cmd/promtool)
#
# Binaries are written as <name>-<version> (the version is the cache key) into
# "${BULKHEAD_CACHE:-$HOME/.cache/bulkhead}/bin", with an unversioned symlink
# <name> -> <name>-<version>. Existing versioned binaries are never rebuilt, so
# re-running is cheap. Set BULKHEAD_REBUILD=1 to force a rebuild.
#
# Arguments, if any, name the binaries to build (e.g. `build-tools.sh helm promtool` for the chart tests);
# without arguments it builds them all.
#
# Output: one "name=/abs/path" line per binary on stdout; progress goes to stderr.
set -euo pipefail

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${BULKHEAD_CACHE:-$HOME/.cache/bulkhead}"
BIN_DIR="${CACHE_DIR}/bin"
GO="${GO:-go}"
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go

export GOFLAGS="-mod=mod"
export CGO_ENABLED="${CGO_ENABLED:-0}"

mod_version() { # <go.mod> <module path>
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

KUBE_VERSION="$(mod_version "${TOOLS_DIR}/kube/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version "${TOOLS_DIR}/etcd/go.mod" go.etcd.io/etcd/server/v3)"
HELM_VERSION="$(mod_version "${TOOLS_DIR}/helm/go.mod" helm.sh/helm/v3)"
HELM_CLIENT_GO="$(mod_version "${TOOLS_DIR}/helm/go.mod" k8s.io/client-go)"
PROM_VERSION="$(mod_version "${TOOLS_DIR}/promtool/go.mod" github.com/prometheus/prometheus)"
for v in "$KUBE_VERSION" "$ETCD_VERSION" "$HELM_VERSION" "$HELM_CLIENT_GO" "$PROM_VERSION"; do
  [[ -n "$v" ]] || { echo "cannot read versions from go.mod files" >&2; exit 1; }
done

WANTED=("$@")
for w in "${WANTED[@]}"; do
  case "$w" in kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|etcd|helm|promtool) ;;
    *) echo "unknown tool: $w (known: kube-apiserver kube-controller-manager kube-scheduler kubelet etcd helm promtool)" >&2; exit 2 ;;
  esac
done
mkdir -p "$BIN_DIR"

log() { echo "[build-tools] $*" >&2; }

# build <name> <version> <module dir> <package> [extra ldflags] [build tags]
build() {
  local name="$1" version="$2" moddir="$3" pkg="$4" extra="${5:-}" tags="${6:-}"
  local out="${BIN_DIR}/${name}-${version}"
  if (( ${#WANTED[@]} > 0 )) && [[ " ${WANTED[*]} " != *" ${name} "* ]]; then return 0; fi
  if [[ -x "$out" && "${BULKHEAD_REBUILD:-0}" != 1 ]]; then
    log "${name} ${version}: cached"
  else
    log "${name} ${version}: building ${pkg} ..."
    local tmp="${out}.tmp.$$" start=$SECONDS
    trap 'rm -f "'"$tmp"'"' EXIT
    (cd "$moddir" && "$GO" build -trimpath -tags="${tags}" -ldflags="-s -w ${extra}" -o "$tmp" "$pkg")
    mv -f "$tmp" "$out"
    trap - EXIT
    log "${name} ${version}: built in $((SECONDS - start))s"
  fi
  ln -sfn "${name}-${version}" "${BIN_DIR}/${name}"
  echo "${name}=${out}"
}

# Same version stamping as kubernetes' hack/lib/version.sh, so /version and the
# compatibility-version logic see a real release instead of v0.0.0-master.
kube_major="${KUBE_VERSION#v}"; kube_major="${kube_major%%.*}"
kube_minor="${KUBE_VERSION#v*.}"; kube_minor="${kube_minor%%.*}"
KUBE_LDFLAGS=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  KUBE_LDFLAGS+=" -X ${p}.gitVersion=${KUBE_VERSION} -X ${p}.gitMajor=${kube_major} -X ${p}.gitMinor=${kube_minor} -X ${p}.gitTreeState=clean"
done

build kube-apiserver          "$KUBE_VERSION" "${TOOLS_DIR}/kube" k8s.io/kubernetes/cmd/kube-apiserver          "$KUBE_LDFLAGS"
build kube-controller-manager "$KUBE_VERSION" "${TOOLS_DIR}/kube" k8s.io/kubernetes/cmd/kube-controller-manager "$KUBE_LDFLAGS"
# The real node (test/e2e): same module and flags, so they reuse the control plane's Go build cache.
build kube-scheduler          "$KUBE_VERSION" "${TOOLS_DIR}/kube" k8s.io/kubernetes/cmd/kube-scheduler          "$KUBE_LDFLAGS"
build kubelet                 "$KUBE_VERSION" "${TOOLS_DIR}/kube" k8s.io/kubernetes/cmd/kubelet                 "$KUBE_LDFLAGS"
# etcd: the server module ships its own main package (a wrapper around etcdmain.Main).
build etcd                    "$ETCD_VERSION" "${TOOLS_DIR}/etcd" go.etcd.io/etcd/server/v3

# helm: stamp its version (else `helm version` says v3.NN) and, as helm's Makefile does, the Kubernetes
# version its client-go speaks (client-go v0.37 is Kubernetes 1.37). Without the latter, `helm template` and
# `helm lint` assume Kubernetes 1.20 for .Capabilities.KubeVersion and the deprecation checks.
helm_k8s_minor="${HELM_CLIENT_GO#v0.}"; helm_k8s_minor="${helm_k8s_minor%%.*}"
HELM_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  HELM_LDFLAGS+=" -X ${p}.k8sVersionMajor=1 -X ${p}.k8sVersionMinor=${helm_k8s_minor}"
done
build helm                    "$HELM_VERSION" "${TOOLS_DIR}/helm" helm.sh/helm/v3/cmd/helm "$HELM_LDFLAGS"

# promtool: module v0.3MM.P is Prometheus 3.MM.P; stamp that so `promtool --version` says it.
# remove_all_sd leaves out the service-discovery plugins (cloud SDKs, Kubernetes client), which only
# `promtool check config` uses; rule checks and rule unit tests do not. It halves the build's CPU time.
prom_release="${PROM_VERSION#v0.3}"; prom_release="3.$((10#${prom_release%%.*})).${prom_release#*.}"
build promtool                "$PROM_VERSION" "${TOOLS_DIR}/promtool" github.com/prometheus/prometheus/cmd/promtool \
  "-X github.com/prometheus/common/version.Version=${prom_release}" remove_all_sd
