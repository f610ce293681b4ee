#!/usr/bin/env bash
# etcd, kube-apiserver (Node and RBAC authorization, PodSecurity admission, a client certificate for talking to the
# kubelet), kube-controller-manager (with the node-lifecycle and PersistentVolume binder controllers a real node needs)
# and kube-scheduler, on loopback. Writes $E2E_CP/admin.kubeconfig and $E2E_CP/kubelet.kubeconfig.
set -euo pipefail
. "$(dirname "$0")/env.sh"
mkdir -p "$E2E_CP"
ETCD=http://127.0.0.1:$ETCD_PORT PEER=http://127.0.0.1:$ETCD_PEER_PORT API=https://127.0.0.1:$API_PORT
[[ -f $E2E_CP/sa.key ]] || openssl genrsa -out "$E2E_CP/sa.key" 2048 2>/dev/null
if [[ ! -f $E2E_CP/tokens.csv ]]; then
  (umask 077; printf '%s,admin,admin,system:masters\n%s,system:node:%s,system:node:%s,system:nodes\n' \
    "$(openssl rand -hex 24)" "$(openssl rand -hex 24)" "$NODE_NAME" "$NODE_NAME" >"$E2E_CP/tokens.csv")
fi
# A CA the kubelet trusts for client certificates; the API server's certificate for `kubectl logs` is signed by it.
if [[ ! -f $E2E_CP/ca.crt ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_CP/ca.key" -out "$E2E_CP/ca.crt" -days 30 -subj /CN=bulkhead-e2e-ca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$E2E_CP/kubelet-client.key" -out "$E2E_CP/kubelet-client.csr" \
    -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
  openssl x509 -req -in "$E2E_CP/kubelet-client.csr" -CA "$E2E_CP/ca.crt" -CAkey "$E2E_CP/ca.key" -CAcreateserial -days 30 \
    -out "$E2E_CP/kubelet-client.crt" 2>/dev/null
fi
kubeconfig() { # FILE TOKEN
  (umask 077; cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "$API", certificate-authority: "$E2E_CP/certs/apiserver.crt"}}]
users: [{name: u, user: {token: "$2"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: u, namespace: default}}]
current-context: e2e
YAML
  )
}
kubeconfig "$E2E_CP/admin.kubeconfig" "$(sed -n 1p "$E2E_CP/tokens.csv" | cut -d, -f1)"
kubeconfig "$E2E_CP/kubelet.kubeconfig" "$(sed -n 2p "$E2E_CP/tokens.csv" | cut -d, -f1)"

start etcd "$KUBE_BIN/etcd" --data-dir "$E2E_DIR/etcd" --listen-client-urls $ETCD --advertise-client-urls $ETCD \
  --listen-peer-urls $PEER --initial-advertise-peer-urls $PEER --initial-cluster default=$PEER --unsafe-no-fsync
wait_for etcd 30 curl -fsS $ETCD/health
# --kubelet-preferred-address-types: the node's name does not resolve here, so `kubectl logs` must use its IP.
start kube-apiserver "$KUBE_BIN/kube-apiserver" --etcd-servers $ETCD --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none --secure-port="$API_PORT" --cert-dir "$E2E_CP/certs" \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file "$E2E_CP/sa.key" \
  --service-account-signing-key-file "$E2E_CP/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --token-auth-file "$E2E_CP/tokens.csv" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --kubelet-client-certificate "$E2E_CP/kubelet-client.crt" --kubelet-client-key "$E2E_CP/kubelet-client.key"
wait_for kube-apiserver 180 kubectl get --raw /readyz
# node-lifecycle-controller: without it the node keeps its not-ready taint and nothing schedules.
# persistentvolume-binder-controller: binds PVC sources to their PersistentVolume; the two protection controllers
# remove the finalizers that keep a PVC (and its namespace) from being deleted.
start kube-controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig "$E2E_CP/admin.kubeconfig" --leader-elect=false \
  --use-service-account-credentials --root-ca-file "$E2E_CP/certs/apiserver.crt" --service-account-private-key-file "$E2E_CP/sa.key" \
  --controllers=job-controller,deployment-controller,replicaset-controller,garbage-collector-controller,ttl-after-finished-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,namespace-controller,node-lifecycle-controller,persistentvolume-binder-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller \
  --secure-port=0
wait_for kube-controller-manager 120 kubectl -n default get serviceaccount default
start kube-scheduler "$KUBE_BIN/kube-scheduler" --kubeconfig "$E2E_CP/admin.kubeconfig" --leader-elect=false --secure-port=0
echo "control plane up; KUBECONFIG=$KUBECONFIG"
