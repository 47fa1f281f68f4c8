#!/usr/bin/env bash
# Scale run of the simulator: start-up time, full paged list time and RSS at N pods, with
# `kubectl get pods -A` on the same simulator as the peer. Usage: benches/sim_scale.sh [PODS]
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
bin=target/release/kx
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
trap 'kill $sim 2>/dev/null || true; rm -rf "$dir"' EXIT
start=$(date +%s.%N)
"$bin" sim --scenario scale --pods "$pods" --namespaces 100 --kubeconfig-out "$dir/kc" > "$dir/out" &
sim=$!
until grep -q '^ready' "$dir/out" 2>/dev/null; do sleep 0.05; done
ready=$(date +%s.%N)
addr=$(head -1 "$dir/out")
echo "pods=$pods startup_s=$(echo "$ready - $start" | bc)"
echo "sim_rss_mib=$(( $(awk '/VmRSS/{print $2}' /proc/$sim/status) / 1024 ))"
# A full list in pages of 500, as kubectl and kube-rs list.
python3 - "$addr" <<'PY'
import re, sys, time, urllib.request
addr = sys.argv[1]
t0, n, token = time.time(), 0, ""
# Time the server, not a JSON parser: read each page whole, take the continue token from its head.
while True:
    url = f"http://{addr}/api/v1/pods?limit=500" + (f"&continue={token}" if token else "")
    body = urllib.request.urlopen(url).read()
    n += body.count(b'"kind":"Pod"')
    m = re.search(rb'"continue":"([^"]*)"', body[:400])
    token = m.group(1).decode() if m else ""
    if not token:
        break
print(f"full_paged_list_s={time.time() - t0:.2f} items={n}")
PY
t0=$(date +%s.%N); curl -s -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' "http://$addr/api/v1/pods?includeObject=None" -o /dev/null; t1=$(date +%s.%N)
echo "table_rows_only_list_s=$(echo "$t1 - $t0" | bc)"
t0=$(date +%s.%N); /usr/bin/time -f "kubectl_max_rss_kib=%M" env KUBECONFIG="$dir/kc" kubectl get pods -A --no-headers 2> "$dir/kt" | wc -l > "$dir/kn"; t1=$(date +%s.%N)
echo "kubectl_get_pods_A_s=$(echo "$t1 - $t0" | bc) rows=$(cat "$dir/kn") $(grep kubectl_max_rss "$dir/kt")"
echo "sim_rss_after_mib=$(( $(awk '/VmRSS/{print $2}' /proc/$sim/status) / 1024 ))"
kill $sim; wait $sim 2>/dev/null || true
# Watch fan-out: events per second delivered to 1, 4 and 16 watchers under --churn 1000.
"$bin" sim --scenario scale --pods 10000 --namespaces 10 --churn 1000 > "$dir/out2" &
sim=$!
until grep -q '^ready' "$dir/out2" 2>/dev/null; do sleep 0.05; done
addr=$(head -1 "$dir/out2")
rv=$(curl -s "http://$addr/api/v1/pods?limit=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
for w in 1 4 16; do
  for i in $(seq "$w"); do
    (timeout 10 curl -sN "http://$addr/api/v1/pods?watch=true&resourceVersion=$rv&timeoutSeconds=60" | wc -l > "$dir/w$i") &
  done
  wait_start=$(date +%s); sleep 10.5
  total=0; for i in $(seq "$w"); do total=$((total + $(cat "$dir/w$i"))); done
  echo "watchers=$w events_per_s_per_watcher=$((total / w / 10)) total_events_per_s=$((total / 10))"
  rv=$(curl -s "http://$addr/api/v1/pods?limit=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
done
