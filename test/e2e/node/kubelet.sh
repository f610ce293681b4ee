#!/usr/bin/env bash
# A kubelet registered as node $NODE_NAME on the containerd of containerd.sh: cgroupfs driver on cgroup v1
# (failCgroupV1: false), no swap check, x509 client authentication for the API server and webhook authorization.
set -euo pipefail
. "$(dirname "$0")/env.sh"
KL=$E2E_DIR/kubelet; mkdir -p "$KL"
NODE_IP=${NODE_IP:-$(ip -4 route get 1.1.1.1 2>/dev/null | grep -o 'src [0-9.]*' | cut -d' ' -f2)}
[[ -n $NODE_IP ]] || NODE_IP=$(hostname -I | cut -d' ' -f1)
cat >"$E2E_DIR/etc/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $E2E_CP/ca.crt}
authorization: {mode: Webhook}
resolvConf: /etc/resolv.conf
# A test machine's disk may be fuller than a node's default eviction thresholds; the tests' pods must not be evicted.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
YAML
start kubelet "$KUBE_BIN/kubelet" --config "$E2E_DIR/etc/kubelet.yaml" --kubeconfig "$E2E_CP/kubelet.kubeconfig" \
  --root-dir "$KL" --cert-dir "$KL/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
node_ready() { [[ $(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
wait_for kubelet 120 node_ready
