#!/usr/bin/env bash
# containerd (Debian's package) with its CRI plugin: cgroupfs, overlayfs, runc, a bridge CNI network for pods, and
# the locally built pause image as the sandbox image.
set -euo pipefail
. "$(dirname "$0")/env.sh"
mkdir -p "$E2E_DIR/etc/cni" "$E2E_DIR/containerd" "$E2E_RUN/containerd"
cat >"$E2E_DIR/etc/containerd.toml" <<TOML
version = 2
root = "$E2E_DIR/containerd"
state = "$E2E_RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  disable_apparmor = true
  # Root on this kind of VM lacks CAP_SYS_RESOURCE, so runc cannot set the negative oom_score_adj the kubelet asks
  # for (pause containers, Guaranteed pods) and every sandbox fails with "runc create failed: unable to start
  # container process: can't get final child's PID from pipe: EOF". Clamp it to containerd's own score instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$E2E_DIR/etc/cni"
TOML
# Pods talk to the host (PostgreSQL on the gateway address) and to each other; no masquerade to the outside.
cat >"$E2E_DIR/etc/cni/10-bulkhead-e2e.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "bulkhead-e2e",
  "plugins": [
    { "type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
                "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$E2E_DIR/cni-ipam" } },
    { "type": "loopback" }
  ]
}
JSON
if ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then echo "containerd already running"; exit 0; fi
start containerd containerd --config "$E2E_DIR/etc/containerd.toml"
wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
