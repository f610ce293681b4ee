#!/usr/bin/env bash
# The real-node suite (npm run test:e2e): builds what is missing (kubelet and friends, the base image, the image from
# the Dockerfile), brings up one node (containerd + kubelet + scheduler + controller-manager + apiserver + etcd),
# runs the scenario files in test/e2e against it, and takes the node down again.
# Needs root and Debian's containerd, runc, containernetworking-plugins, buildah and debootstrap (.ci/run installs
# them). Arguments filter the scenario files (e.g. `npm run test:e2e -- workers`).
# Each run starts from a fresh node. BULKHEAD_E2E_KEEP=1 leaves the node running afterwards (KUBECONFIG=/var/tmp/bulkhead-e2e/control-plane/admin.kubeconfig);
# `bash test/e2e/node/down.sh --wipe` removes it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
. "$here/node/env.sh"
missing=()
for c in containerd runc buildah debootstrap; do command -v $c >/dev/null || missing+=("$c"); done
[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
if ((${#missing[@]})); then
  echo "the real-node suite needs: ${missing[*]} (apt-get install containerd runc containernetworking-plugins buildah debootstrap)" >&2
  exit 2
fi
[[ $(id -u) == 0 ]] || { echo "the real-node suite runs a kubelet and containerd: run it as root" >&2; exit 2; }
step() { local t=$SECONDS rc=0; echo "[e2e] $1 ..." >&2; "${@:2}" || rc=$?; echo "[e2e] $1: $((SECONDS - t))s (exit $rc)" >&2; return $rc; }

step "test binaries" bash "$repo/test/tools/build-tools.sh" kube-apiserver kube-controller-manager kube-scheduler kubelet etcd helm >/dev/null
# Every run starts from a fresh cluster (an operator pod or a Deployment left from an earlier run would go on with an
# older image of the same tag); the one that ends is stopped but kept on disk, logs included, for a look.
step "fresh state" bash "$here/node/down.sh" --wipe >/dev/null
trap '[[ ${BULKHEAD_E2E_KEEP:-0} == 1 ]] || bash "$here/node/down.sh" >&2' EXIT
step "node" bash "$here/node/up.sh"
export BULKHEAD_E2E_IMAGE=localhost/bulkhead:e2e
step "image" env IMAGE=$BULKHEAD_E2E_IMAGE bash "$here/image/build-image.sh"
export BULKHEAD_E2E_NODE=$NODE_NAME BULKHEAD_E2E_DIR=$E2E_DIR BULKHEAD_E2E_POD_CIDR=$POD_CIDR BULKHEAD_E2E_POD_GATEWAY=$POD_GATEWAY
# What a failure needs for a look once the node is gone: the cluster's objects, events and the operator's log.
diagnose() {
  local out=$E2E_LOG/cluster-state.txt
  {
    kubectl get nodes,pods,jobs,deployments,replicasets,pvc,csvimports,stressruns --all-namespaces -o wide
    kubectl get events --all-namespaces --sort-by=.lastTimestamp
    kubectl -n bulkhead-system logs deploy/bulkhead --tail=300
  } >"$out" 2>&1
  echo "[e2e] the cluster's state and the operator's log: $out; component logs: $E2E_LOG" >&2
}
step "scenarios" node "$repo/dist/test/e2e/run-e2e.js" "$@" || { rc=$?; diagnose; exit $rc; }
