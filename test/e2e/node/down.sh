#!/usr/bin/env bash
# Stops the test cluster started by up.sh (by recorded PID, newest first), removes its pod sandboxes, unmounts what
# they leave, and deletes the pod bridge. --wipe also removes all state (etcd, containerd's images, logs).
. "$(dirname "$0")/env.sh"
stop() {
  local f=$E2E_RUN/$1.pid p; [[ -f $f ]] || return 0; p=$(cat "$f")
  if kill "$p" 2>/dev/null; then
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}
for n in operator kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do stop $n; done
if [[ -S $CONTAINERD_SOCK ]]; then
  for c in $(ctrk tasks ls -q 2>/dev/null); do ctrk tasks kill -s SIGKILL "$c" >/dev/null 2>&1; done
  sleep 1
  for c in $(ctrk containers ls -q 2>/dev/null); do ctrk tasks delete -f "$c" >/dev/null 2>&1; ctrk containers delete "$c" >/dev/null 2>&1; done
fi
stop containerd
pkill -f "containerd-shim-runc-v2 -namespace k8s.io" 2>/dev/null || true
grep -E " ($E2E_DIR|$E2E_RUN|/run/netns/cni-)" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
ip link del "$POD_BRIDGE" 2>/dev/null || true
if [[ ${1:-} == --wipe ]]; then rm -rf "$E2E_DIR" "$E2E_RUN"; echo "e2e node state wiped"; fi
echo "e2e node down"
