#!/usr/bin/env bash
# The pod sandbox ("pause") image, built from the C source in the k8s.io/kubernetes module that test/tools/kube
# pins (no registry serves registry.k8s.io/pause here), and imported into containerd.
set -euo pipefail
. "$(dirname "$0")/env.sh"
if ctrk images ls -q | grep -qx "$PAUSE_IMAGE"; then echo "$PAUSE_IMAGE present"; exit 0; fi
tools=$(cd "$(dirname "$0")/../../tools/kube" && pwd)
kmod=$(cd "$tools" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' k8s.io/kubernetes)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gcc -Os -static -Wall -DVERSION=bulkhead-e2e -o "$work/pause" "$kmod/build/pause/linux/pause.c"
strip "$work/pause"
c=$(buildah from scratch)
buildah copy "$c" "$work/pause" /pause >/dev/null
buildah config --entrypoint '["/pause"]' --user 65535:65535 "$c"
buildah commit -q "$c" "$PAUSE_IMAGE" >/dev/null
buildah rm "$c" >/dev/null
buildah push -q "$PAUSE_IMAGE" "docker-archive:$work/pause.tar:$PAUSE_IMAGE"
ctrk images import "$work/pause.tar" >/dev/null
echo "$PAUSE_IMAGE imported"
