# Paths and ports of the real-node test cluster (test/e2e). Sourced by the scripts next to it.
# Everything lives under E2E_DIR (state, logs, certificates) and E2E_RUN (sockets, PIDs); both are removed by
# down.sh --wipe. Binaries come from test/tools/build-tools.sh (~/.cache/bulkhead/bin).
E2E_DIR=${BULKHEAD_E2E_DIR:-/var/tmp/bulkhead-e2e}
E2E_RUN=/run/bulkhead-e2e
E2E_LOG=$E2E_DIR/log
E2E_CP=$E2E_DIR/control-plane
KUBE_BIN=${BULKHEAD_CACHE:-$HOME/.cache/bulkhead}/bin
CONTAINERD_SOCK=$E2E_RUN/containerd/containerd.sock
NODE_NAME=bulkhead-e2e
# The pod network: a bridge whose gateway (the host) is where pods reach PostgreSQL.
POD_BRIDGE=bulkhead0 POD_CIDR=10.89.0.0/16 POD_GATEWAY=10.89.0.1
ETCD_PORT=12379 ETCD_PEER_PORT=12380 API_PORT=16443
PAUSE_IMAGE=localhost/pause:bulkhead-e2e
export KUBECONFIG=$E2E_CP/admin.kubeconfig
mkdir -p "$E2E_DIR" "$E2E_RUN" "$E2E_LOG"

ctrk() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# start NAME CMD...: runs CMD in the background with its log in $E2E_LOG/NAME.log and its PID in $E2E_RUN/NAME.pid.
start() {
  local name=$1; shift
  if [[ -f $E2E_RUN/$name.pid ]] && kill -0 "$(cat "$E2E_RUN/$name.pid")" 2>/dev/null; then echo "$name already running"; return; fi
  nohup "$@" >"$E2E_LOG/$name.log" 2>&1 &
  echo $! >"$E2E_RUN/$name.pid"
}

# wait_for WHAT SECONDS CMD...: retries CMD every half second; on timeout prints the tail of WHAT's log.
wait_for() {
  local what=$1 n=$2 t=$SECONDS; shift 2
  for _ in $(seq 1 $((n * 2))); do
    if "$@" >/dev/null 2>&1; then echo "$what ready after $((SECONDS - t))s"; return 0; fi
    if [[ -f $E2E_RUN/$what.pid ]] && ! kill -0 "$(cat "$E2E_RUN/$what.pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "$what not ready after $((SECONDS - t))s; the end of $E2E_LOG/$what.log:" >&2
  tail -n 30 "$E2E_LOG/$what.log" >&2 || true
  return 1
}
