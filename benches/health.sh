#!/usr/bin/env bash
# Health at 100k pods, against `kx sim --scenario scale --pods N` (metrics API on), release kx:
#  1. `kx lint -A -o json` beside `kubectl get pods,deploy,svc,cm,secrets -A -o json | jq`
#     checking three of the same rules (unpinned images, no requests, bare pods);
#  2. the explorer on all pods in tmux with the CPU/MEM columns off (metrics: false) and on:
#     key-to-frame times for 100 `j` presses (kx's debug log) and the process's RSS;
#  3. then `:lint -A` open: the time until every kind is listed and checked, and the RSS.
# Usage: benches/health.sh [PODS] [KX_BINARY]   (defaults 100000, target/release/kx);
# SKIP_LINT_CLI=1 leaves out step 1. RUNS=N (default 2) repeats step 2 off and on in turn: the
# RSS after the list loads differs by ±10% from one start to the next, so a single pair of runs
# cannot tell 20% from 30%; the medians over the runs are compared at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
bin=${2:-$PWD/target/release/kx}
[ -x "$bin" ] || cargo build --release
command -v jq > /dev/null || { echo "health.sh needs jq (apt-get install jq)"; exit 1; }
dir=$(mktemp -d)
sock="kx-health-$$"
sim=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$sim" ] && kill "$sim" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

"$bin" sim --scenario scale --pods "$pods" --namespaces 100 --kubeconfig-out "$dir/kc" > "$dir/sim.out" &
sim=$!
until grep -q '^ready' "$dir/sim.out" 2>/dev/null; do sleep 0.1; done
export KUBECONFIG="$dir/kc"
mkdir -p "$dir/cfg"

now() { date +%s.%N; }
# Waits for a condition, at most $1 seconds; says which one gave up.
wait_until() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || { echo "gave up after ${limit}s waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}
screen() { tmux -L "$sock" capture-pane -p -t kx 2>/dev/null; }
if [ -z "${SKIP_LINT_CLI:-}" ]; then
t0=$(now); "$bin" lint -A -o json --fail-on never > "$dir/lint.json"; t1=$(now)
kx_s=$(echo "$t1 - $t0" | bc)
kx_findings=$(jq '.findings | length' "$dir/lint.json")
t0=$(now)
kubectl get pods,deploy,svc,cm,secrets -A -o json | jq '[.items[] | select(.kind == "Deployment" or .kind == "Pod")
  | . as $o | (.spec.template.spec // .spec) as $s
  | ($s.containers[] | select((.image | test(":latest$") or (contains(":") | not)) or (.resources.requests == null)) | {kind: $o.kind, name: $o.metadata.name}),
    (select($o.kind == "Pod" and ($o.metadata.ownerReferences == null)) | {kind: "Pod", name: $o.metadata.name})] | length' > "$dir/jq.out"
t1=$(now)
jq_s=$(echo "$t1 - $t0" | bc)
echo "kx lint -A -o json: ${kx_s}s ($kx_findings findings, every rule); kubectl get … | jq (3 rules): ${jq_s}s; ratio $(echo "scale=2; $kx_s / $jq_s" | bc)"
fi

runs=0
explore() { # $1: metrics true|false
  # A tmux server of its own each time: a new session on a socket whose server is still
  # exiting fails with "server exited unexpectedly".
  runs=$((runs + 1))
  sock="kx-health-$$-$runs"
  printf 'metrics: %s\n' "$1" > "$dir/cfg/config.yaml"
  rm -rf "$dir/state"
  tmux -L "$sock" new-session -d -s kx -x 200 -y 50 \
    "XDG_STATE_HOME=$dir/state KX_CONFIG_DIR=$dir/cfg KX_LOG=kx=debug KUBECONFIG=$dir/kc exec $bin -A"
  wait_until 120 bash -c "tmux -L $sock capture-pane -p -t kx | grep -q ' $pods rows'"
  if [ "$1" = true ]; then
    # The first usage reading (the pods' requests watch, then the metrics API).
    wait_until 120 bash -c "tmux -L $sock capture-pane -p -t kx | grep -qE ' [0-9]+m +[0-9]+Mi( |\$)'"
  fi
  sleep 2
  local pid log skip keys n
  pid=$(tmux -L "$sock" list-panes -t kx -F '#{pane_pid}')
  log="$dir/state/kx/kx.log"
  skip=$(wc -l < "$log")
  for _ in $(seq 100); do tmux -L "$sock" send-keys -t kx j; sleep 0.05; done
  sleep 1
  keys=$(tail -n +"$((skip + 1))" "$log" | grep -o 'key_ms=[0-9.]*' | cut -d= -f2 | sort -n)
  draws=$(tail -n +"$((skip + 1))" "$log" | grep -o 'draw_ms=[0-9.]*' | cut -d= -f2 | sort -n)
  n=$(echo "$keys" | grep -c . || true)
  pct() { echo "$2" | awk -v p="$1" '{a[NR]=$1} END {if (NR) {i=int(NR*p); if (i<1) i=1; print a[i]} else print "n/a"}'; }
  # RSS moves with the allocator and the simulator's timing: sampled every 5 s for 45 s (three
  # usage readings when they are on), the median and the range reported.
  local rss=""
  for _ in $(seq 9); do
    rss="$rss $( (grep VmRSS /proc/"$pid"/status || echo "VmRSS: 0") | awk '{print $2/1024}')"
    sleep 5
  done
  rss=$(echo $rss | tr ' ' '\n' | sort -n)
  echo "$1 $(echo "$rss" | sed -n 5p)" >> "$dir/rss_medians"
  echo "metrics $1: $n keys, key to frame ms p50 $(pct 0.5 "$keys") p90 $(pct 0.9 "$keys") max $(echo "$keys" | tail -1); frame (prepare + draw) ms p50 $(pct 0.5 "$draws") p90 $(pct 0.9 "$draws"); RSS MiB median $(echo "$rss" | sed -n 5p) (min $(echo "$rss" | head -1), max $(echo "$rss" | tail -1))"
  if [ "$1" = true ]; then
    # A usage reading lands as one update (a batch of one) of every row, every 15 s: its cost
    # on the UI thread, for the readings after the list was in.
    echo "  single updates over 10 ms since (ms; usage readings): $(tail -n +"$((skip + 1))" "$log" | grep -E 'batch=1([^0-9]|$)' | grep -o 'update_ms=[0-9.]*' | cut -d= -f2 | awk '$1 > 10' | sort -n | tr '\n' ' ')"
  fi
  if [ "$1" = true ]; then
    local t0 t1
    t0=$(now)
    tmux -L "$sock" send-keys -t kx ':lint -A' Enter
    wait_until 300 bash -c "tmux -L $sock capture-pane -p -t kx | head -2 | grep -q 'lint (all' && tmux -L $sock capture-pane -p -t kx | head -1 | grep -q ' live'"
    t1=$(now)
    echo ":lint -A live (every kind listed and checked) after $(echo "$t1 - $t0" | bc)s; RSS $(grep VmRSS /proc/"$pid"/status | awk '{print $2/1024}') MiB; $(tmux -L "$sock" capture-pane -p -t kx | sed -n 3p | cut -c1-80)"
  fi
  tmux -L "$sock" kill-server 2>/dev/null || true
}
for _ in $(seq "${RUNS:-2}"); do
  explore false
  explore true
done
# The median of each setting's medians, and what metrics add.
median() { grep "^$1 " "$dir/rss_medians" | cut -d' ' -f2 | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
off=$(median false)
on=$(median true)
echo "RSS over ${RUNS:-2} runs each: metrics off $(grep '^false ' "$dir/rss_medians" | cut -d' ' -f2 | tr '\n' ' ')→ median $off MiB; on $(grep '^true ' "$dir/rss_medians" | cut -d' ' -f2 | tr '\n' ' ')→ median $on MiB; +$(echo "scale=1; ($on - $off) * 100 / $off" | bc)%"
