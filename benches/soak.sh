#!/usr/bin/env bash
# The soak run: the release kx against a simulator that fails the way real API servers do,
# for a long time. 10,000 pods, 1,000 changes a second, watches closed every 5 s, 10% of
# requests failing (429, 500 and 503 in turn), a forced 410 Gone every minute, every
# connection dropped every 3 minutes (the port refused for 5 s), log streams stalled for 20 s
# every 4 minutes, and one log request in 20 failing as an overloaded kubelet's do.
# Meanwhile kx's TUI shows all pods and `kx logs` follows 50 pods' main containers.
#
# Every minute the churn and faults pause; once quiet, kx's rows (dumped on SIGUSR1) are
# compared with a fresh list from the simulator: same uids, same resourceVersions. At the end
# `kx logs` output is compared line for line with what the simulator recorded. Reports
# mismatches, lines lost or repeated, RSS at minute 5 and at the end, CPU, frames over 50 ms.
#
# Usage: benches/soak.sh [MINUTES] [PODS]   (defaults 30, 10000). Not a CI test.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
pods=${2:-10000}
churn=1000
bin=$PWD/target/release/kx
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
sock="kx-soak-$$"
sim=""
logs=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$logs" ] && kill "$logs" 2>/dev/null || true
  [ -n "$sim" ] && kill "$sim" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$dir"
  echo "dir=$dir" >&2
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { echo $(( $(awk '/VmRSS/{print $2}' "/proc/$1/status") / 1024 )); }

"$bin" sim --scenario scale --pods "$pods" --namespaces 20 --churn "$churn" --log-rate 5 \
  --history 200000 --kubeconfig-out "$dir/kc" > "$dir/sim.out" &
sim=$!
until grep -q '^ready' "$dir/sim.out" 2>/dev/null; do sleep 0.1; done
addr=$(head -1 "$dir/sim.out")
api="http://$addr"
export KUBECONFIG="$dir/kc"

# The simulator's knobs, asked until they answer (an outage may be under way).
knob() {
  local args=(-sf --retry 30 --retry-connrefused --retry-delay 1 -X "$1" "$api$2")
  if [ -n "${3:-}" ]; then args+=(-d "$3"); fi
  curl "${args[@]}" > /dev/null || true
}
faults() { # error code, stalled
  knob PUT /sim/faults "{\"watchCloseAfterSecs\": 5, \"errorRate\": 0.1, \"errorCode\": $1, \"stallLogs\": $2, \"logErrorRate\": 0.05}"
}
quiet() {
  knob PUT /sim/faults '{}'
  knob PUT "/sim/churn?perSec=0"
}
loud() {
  knob PUT "/sim/churn?perSec=$churn"
  faults "$1" false
}
# The server's pods, listed until a list succeeds.
server_rows() {
  for _ in $(seq 10); do
    if kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}{"\t"}{.metadata.name}{"\t"}{.metadata.uid}{"\t"}{.metadata.resourceVersion}{"\n"}{end}' > "$dir/server.raw" 2>> "$dir/kubectl.err"; then
      sort "$dir/server.raw"; return
    fi
    sleep 2
  done
}

# kx's TUI on every pod, logging its frames; SIGUSR1 dumps its rows.
mkdir -p "$dir/dumps"
tmux -L "$sock" new-session -d -s kx -x 200 -y 50 \
  "XDG_STATE_HOME=$dir/state KX_CONFIG_DIR=$dir/cfg KX_LOG=kx=debug KX_DUMP_DIR=$dir/dumps KUBECONFIG=$dir/kc exec $bin -A"
until tmux -L "$sock" capture-pane -p -t kx 2>/dev/null | grep -q " $pods rows"; do sleep 0.2; done
kx=$(tmux -L "$sock" list-panes -t kx -F '#{pane_pid}')

# kx logs on 50 pods (five deployments of ns-000), main containers, from now on.
"$bin" logs '^app-000[02468]0-' -n ns-000 -c main -o json --tail 0 --idle-timeout 10s \
  > "$dir/logs.json" 2> "$dir/logs.err" &
logs=$!

codes=(429 500 503)
mismatches=0
checks=0
rss5=""
c0=$(cpu_ticks "$kx"); l0=$(cpu_ticks "$logs")
start=$(date +%s)
loud 429
for ((m = 1; m <= minutes; m++)); do
  minute_start=$(date +%s)
  while (( $(date +%s) - minute_start < 50 )); do
    t=$(( $(date +%s) - start ))
    (( t % 20 == 0 )) && faults "${codes[$(( (t / 20) % 3 ))]}" false
    (( t % 240 == 30 )) && { faults 500 true; sleep 20; faults 500 false; }
    (( t % 180 == 90 )) && knob POST "/sim/drop-connections?downSecs=5"
    sleep 1
  done
  knob POST "/sim/gone?n=50"
  # Quiet: no churn, no faults; then kx's rows against the simulator's.
  quiet
  sleep 15
  before=$(ls "$dir/dumps" | wc -l)
  kill -USR1 "$kx"
  until [ "$(ls "$dir/dumps" | wc -l)" -gt "$before" ]; do sleep 0.1; done
  sleep 0.5
  dump=$(ls -t "$dir/dumps" | head -1)
  server_rows > "$dir/server.tsv"
  sort "$dir/dumps/$dump" > "$dir/kx.tsv"
  diff_lines=$(diff "$dir/kx.tsv" "$dir/server.tsv" | grep -c '^[<>]' || true)
  checks=$((checks + 1))
  mismatches=$((mismatches + diff_lines))
  echo "minute $m: rows $(wc -l < "$dir/kx.tsv") vs $(wc -l < "$dir/server.tsv"), differing lines $diff_lines, kx RSS $(rss_mib "$kx") MiB" >&2
  (( m == 5 )) && rss5=$(rss_mib "$kx")
  loud "${codes[$((m % 3))]}"
done
elapsed=$(( $(date +%s) - start ))
c1=$(cpu_ticks "$kx"); l1=$(cpu_ticks "$logs")
rss_end=$(rss_mib "$kx")
logs_rss=$(rss_mib "$logs")
quiet
sleep 15
kill -INT "$logs"; wait "$logs" 2>/dev/null || true; logs=""

# kx logs against the simulator's own record, container by container.
python3 - "$dir/logs.json" "$api" > "$dir/logs.report" <<'PY'
import json, sys, urllib.request, collections
printed = collections.defaultdict(list)
for line in open(sys.argv[1]):
    v = json.loads(line)
    printed[(v["namespace"], v["pod"], v["container"])].append((v["timestamp"], v["message"]))
lost = repeated = total = 0
for (ns, pod, c), lines in printed.items():
    record = []
    i = 0
    while True:
        url = f"{sys.argv[2]}/sim/logs?namespace={ns}&pod={pod}&container={c}&instance={i}"
        part = json.load(urllib.request.urlopen(url))
        if not part and i > 0:
            break
        record += [(r["timestamp"], r["text"]) for r in part]
        i += 1
        if not part:
            break
    total += len(lines)
    repeated += len(lines) - len(set(lines))
    if not lines:
        continue
    first = record.index(lines[0]) if lines[0] in record else None
    last = record.index(lines[-1]) if lines[-1] in record else None
    if first is None or last is None:
        lost += len(lines)
        continue
    expected = record[first:last + 1]
    got = set(lines)
    lost += sum(1 for r in expected if r not in got)
print(f"containers {len(printed)} lines {total} lost {lost} repeated {repeated}")
PY

frames=$(grep -o 'draw_ms=[0-9.]*' "$dir/state/kx/kx.log" | cut -d= -f2 | sort -n)
slow=$(echo "$frames" | awk '$1 > 50' | grep -c . || true)
echo "soak: ${minutes} min, ${pods} pods, churn ${churn}/s, watches closed every 5 s, 10% 429/500/503, 410 every minute, outages every 3 min, log stalls every 4 min"
echo "store checks: $checks, differing lines in total: $mismatches (target 0)"
echo "kx logs: $(cat "$dir/logs.report") (target 0 lost, 0 repeated); stderr lines: $(wc -l < "$dir/logs.err")"
echo "kx TUI RSS: minute 5 ${rss5:-n/a} MiB, end ${rss_end} MiB; kx logs RSS ${logs_rss} MiB"
echo "CPU (% of one core): kx TUI $(echo "scale=1; ($c1 - $c0) * 100 / $hz / $elapsed" | bc), kx logs $(echo "scale=1; ($l1 - $l0) * 100 / $hz / $elapsed" | bc)"
echo "frames: $(echo "$frames" | grep -c . || true), over 50 ms: $slow, max $(echo "$frames" | tail -1) ms"
