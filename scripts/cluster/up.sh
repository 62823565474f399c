#!/usr/bin/env bash
# Starts a throwaway control plane on 127.0.0.1: etcd, kube-apiserver,
# kube-controller-manager (deployment, replicaset, statefulset, daemonset,
# endpoints and volume binding controllers), kube-scheduler, and kwok as the
# kubelet of fake nodes, so pods turn Running and Ready and Services get
# endpoints; with the Gateway API CRDs. Every process's PID goes into
# STATE/pids; down.sh STATE ends them. Prints the kubeconfig path.
#
# Nodes: kwok-node-0 takes every pod. POOL_NODES more (default 3),
# kwok-pool-0..., carry the label and taint rollspec.dev/pool=workloads
# (NoSchedule), so only pods that tolerate the taint run there (the
# DaemonSet tests select them): a workload without the toleration sees one
# node, as before.
# Usage: up.sh STATE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${1:?usage: up.sh STATE_DIR}
mkdir -p "$state"
state=$(cd "$state" && pwd)
bin=$("$here/build.sh")
: > "$state/pids"
log=$state/logs
mkdir -p "$log" "$state/pki"
ETCD_PORT=${ETCD_PORT:-23790}
API_PORT=${API_PORT:-16443}
POOL_NODES=${POOL_NODES:-3}

# Certificates and credentials.
pki=$state/pki
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rollspec-e2e-ca \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
cat > "$pki/san.cnf" <<CNF
[req]
distinguished_name = dn
[dn]
[ext]
subjectAltName = DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1
CNF
openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
  -extfile "$pki/san.cnf" -extensions ext -out "$pki/apiserver.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token,admin,admin,system:masters" > "$pki/tokens.csv"
kubeconfig=$state/kubeconfig
cat > "$kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    token: $token
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
KC

start() { # name command...
  local name=$1; shift
  "$@" > "$log/$name.log" 2>&1 &
  echo "$! $name" >> "$state/pids"
}
wait_for() { # what command...
  local what=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "up.sh: $what did not come up; logs in $log" >&2
  return 1
}

# etcd on tmpfs when there is one: the API server writes a lot.
data=/dev/shm
[ -d "$data" ] && [ -w "$data" ] || data=$state
etcd_dir=$(mktemp -d "$data/rollspec-etcd-XXXXXX")
echo "$etcd_dir" > "$state/etcd-dir"
start etcd "$bin/etcd" --data-dir "$etcd_dir" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
  --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 10))" --log-level warn
wait_for etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" --authorization-mode AlwaysAllow \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
  --endpoint-reconciler-type none --enable-priority-and-fairness=false
wait_for kube-apiserver curl -sfk -H "Authorization: Bearer $token" "https://127.0.0.1:$API_PORT/readyz"
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }

# The Gateway API CRDs (standard channel) for the HTTPRoutes rollspec
# renders (spec.traffic), from the Go module proxy with the module's
# checksum pinned: the API server then checks every route with the CRDs'
# own schema and CEL rules. There is no Gateway implementation: the tests
# check routes as objects. Server-side apply: the HTTPRoute CRD is larger
# than client-side apply's last-applied annotation allows.
GATEWAY_API_VERSION=v1.6.3
GATEWAY_API_SUM=h1:lKpJa5bGlraC/QeACvCpsHLdmO6y0iKfzVl6gzaFEYc=
gw_tmp=$(mktemp -d) # outside any module, so no go.mod or go.sum changes
gw_json=$(cd "$gw_tmp" && GOWORK=off go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
rmdir "$gw_tmp"
gw_dir=$(echo "$gw_json" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
gw_sum=$(echo "$gw_json" | sed -n 's/^\t"Sum": "\(.*\)",$/\1/p')
if [ "$gw_sum" != "$GATEWAY_API_SUM" ] || [ ! -d "$gw_dir/config/crd/standard" ]; then
  echo "up.sh: sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION has checksum '$gw_sum', want $GATEWAY_API_SUM" >&2
  exit 1
fi
# In the background while the other components start; it adds 6-9 s to
# the start on a loaded 2-core machine.
(k apply --server-side --field-manager rollspec-e2e -f "$gw_dir/config/crd/standard" >/dev/null &&
  k wait --for condition=Established --timeout 60s crd/httproutes.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io >/dev/null) &
crds=$!

start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" --leader-elect=false \
  --controllers deployment-controller,replicaset-controller,statefulset-controller,daemonset-controller,serviceaccount-controller,garbage-collector-controller,namespace-controller,endpoints-controller,endpointslice-controller,persistentvolume-binder-controller,persistentvolume-protection-controller,persistentvolumeclaim-protection-controller \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --bind-address 127.0.0.1 --secure-port "$((API_PORT + 1))"
start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port "$((API_PORT + 2))"

# kwok plays the kubelet for nodes annotated kwok.x-k8s.io/node=fake.
kwok_src=$(cd "$here/build" && go env GOMODCACHE)/sigs.k8s.io/kwok@v0.8.0
# Pods whose image contains "never-ready" stay Pending and never become
# Ready, so tests can make a rollout fail (the pod-ready stage skips them).
kubectl kustomize "$kwok_src/kustomize/stage/fast" | awk '
  /^  name: pod-ready$/ { ready = 1 }
  { print }
  ready && /^    matchExpressions:$/ {
    print "    - key: \x27.spec.containers.[].image | contains(\"never-ready\")\x27"
    print "      operator: NotIn"
    print "      values: [\x27true\x27]"
    ready = 0
  }' > "$state/kwok-stages.yaml"
grep -q 'contains("never-ready")' "$state/kwok-stages.yaml" || { echo "up.sh: could not add the never-ready rule to kwok's pod-ready stage" >&2; exit 1; }
start kwok "$bin/kwok" --kubeconfig "$kubeconfig" --config "$state/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --server-address 127.0.0.1:$((API_PORT + 3))

wait_for "the default ServiceAccount" k get serviceaccount default -n default
node() { # name [pool]: a fake node, in the pool and tainted for it when given
  local labels="{type: kwok}" taints="[]"
  if [ -n "${2:-}" ]; then
    labels="{type: kwok, rollspec.dev/pool: $2}"
    taints="[{key: rollspec.dev/pool, value: $2, effect: NoSchedule}]"
  fi
  cat <<NODE
---
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
  labels: $labels
spec:
  taints: $taints
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "500"}
  capacity: {cpu: "64", memory: 256Gi, pods: "500"}
NODE
}
nodes=(kwok-node-0)
for i in $(seq 0 $((POOL_NODES - 1))); do nodes+=("kwok-pool-$i"); done
{ node kwok-node-0; for n in "${nodes[@]:1}"; do node "$n" workloads; done; } | k apply -f - >/dev/null
# Admission taints a new node not-ready; only the node-lifecycle controller
# (not running here) would lift it.
for n in "${nodes[@]}"; do
  k taint node "$n" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
done
for n in "${nodes[@]}"; do
  wait_for "the kwok node $n" sh -c "kubectl --kubeconfig '$kubeconfig' get node $n -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -q True"
done
wait "$crds" || { echo "up.sh: installing the Gateway API CRDs failed" >&2; exit 1; }
echo "$kubeconfig"
