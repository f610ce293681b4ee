#!/usr/bin/env bash
# Brings up the one-node test cluster: containerd, the pause image, the control plane, the kubelet. Idempotent.
# Needs root, Debian's containerd, runc, containernetworking-plugins and buildah, and the binaries of
# test/tools/build-tools.sh.
set -euo pipefail
d=$(dirname "$0")
for s in containerd pause-image control-plane kubelet; do
  t=$SECONDS; bash "$d/$s.sh"; echo "[e2e node] $s: $((SECONDS - t))s"
done
