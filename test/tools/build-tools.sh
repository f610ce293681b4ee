#!/usr/bin/env bash
# Build (once) and cache the binaries used by the operator and chart tests:
# kube-apiserver, kube-controller-manager and etcd (and, as they are added, helm and promtool).
#
# Versions come from the wrapper modules next to this script:
#   kube/go.mod  -> require k8s.io/kubernetes vX.Y.Z (+ replace k8s.io/<staging> => v0.Y.Z)
#   etcd/go.mod  -> require go.etcd.io/etcd/server/v3 vX.Y.Z
#
# Binaries are written as <name>-<version> (the version is the cache key) into
# "${BULKHEAD_CACHE:-$HOME/.cache/bulkhead}/bin", with an unversioned symlink
# <name> -> <name>-<version>. Existing versioned binaries are never rebuilt, so
# re-running is cheap. Set BULKHEAD_REBUILD=1 to force a rebuild.
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
[[ -n "$KUBE_VERSION" && -n "$ETCD_VERSION" ]] || { echo "cannot read versions from go.mod files" >&2; exit 1; }

mkdir -p "$BIN_DIR"

log() { echo "[build-tools] $*" >&2; }

# build <name> <version> <module dir> <package> [extra ldflags]
build() {
  local name="$1" version="$2" moddir="$3" pkg="$4" extra="${5:-}"
  local out="${BIN_DIR}/${name}-${version}"
  if [[ -x "$out" && "${BULKHEAD_REBUILD:-0}" != 1 ]]; then
    log "${name} ${version}: cached"
  else
    log "${name} ${version}: building ${pkg} ..."
    local tmp="${out}.tmp.$$" start=$SECONDS
    trap 'rm -f "'"$tmp"'"' EXIT
    (cd "$moddir" && "$GO" build -trimpath -ldflags="-s -w ${extra}" -o "$tmp" "$pkg")
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
# etcd: the server module ships its own main package (a wrapper around etcdmain.Main).
build etcd                    "$ETCD_VERSION" "${TOOLS_DIR}/etcd" go.etcd.io/etcd/server/v3
