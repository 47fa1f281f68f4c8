#!/usr/bin/env bash
# Scale run of the explorer under churn: the release kx, in tmux, on the all-namespaces pod view
# of `kx sim --scenario scale --pods N --churn R`; then `kubectl get pods -A -w` on the same
# simulator as the peer. Reports the time to the first complete list on screen, CPU (% of one
# core) over a window of churn, peak RSS, and kx's frame and update times from its debug log.
# Usage: benches/explorer_churn.sh [PODS] [EVENTS_PER_SEC] [WINDOW_SECS]   (KX_BIN: another kx to run)
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
churn=${2:-1000}
window=${3:-30}
bin=${KX_BIN:-$PWD/target/release/kx}
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
sock="kx-churn-$$"
sim=""
watcher=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$watcher" ] && kill "$watcher" 2>/dev/null || true
  [ -n "$sim" ] && kill "$sim" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$dir"; echo "dir=$dir" >&2
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_mib() { echo $(( $(awk '/VmHWM/{print $2}' "/proc/$1/status") / 1024 )); }

# kubectl get -w does not relist after 410 Gone: keep about 5 minutes of changes, as etcd does.
"$bin" sim --scenario scale --pods "$pods" --namespaces 100 --churn "$churn" --history 400000 \
  --kubeconfig-out "$dir/kc" > "$dir/sim.out" &
sim=$!
until grep -q '^ready' "$dir/sim.out" 2>/dev/null; do sleep 0.1; done

# kx: the first complete list on screen, then a window of churn.
start=$(date +%s.%N)
tmux -L "$sock" new-session -d -s kx -x 200 -y 50 \
  "XDG_STATE_HOME=$dir/state KX_CONFIG_DIR=$dir/cfg KX_LOG=kx=debug KUBECONFIG=$dir/kc exec $bin -A"
until tmux -L "$sock" capture-pane -p -t kx 2>/dev/null | grep -q " $pods rows"; do sleep 0.05; done
kx_first=$(echo "$(date +%s.%N) - $start" | bc)
kx=$(tmux -L "$sock" list-panes -t kx -F '#{pane_pid}')
log="$dir/state/kx/kx.log"
sleep 3
skip=$(wc -l < "$log")
c0=$(cpu_ticks "$kx")
sleep "$window"
c1=$(cpu_ticks "$kx")
kx_cpu=$(echo "scale=1; ($c1 - $c0) * 100 / $hz / $window" | bc)
kx_peak=$(peak_mib "$kx")
frames=$(tail -n +"$((skip + 1))" "$log" | grep -o 'draw_ms=[0-9.]*' | cut -d= -f2 | sort -n || true)
updates=$(tail -n +"$((skip + 1))" "$log" | grep -o 'update_ms=[0-9.]*' | cut -d= -f2 | sort -n || true)
count() { echo "$1" | grep -c . || true; }
pct() { echo "$1" | awk -v p="$2" '{a[NR]=$1} END {if (NR) {i=int(NR*p); if (i<1) i=1; print a[i]} else print "n/a"}'; }
tmux -L "$sock" kill-server

# kubectl get -w: its first list, then the same window.
start=$(date +%s.%N)
KUBECONFIG="$dir/kc" kubectl get pods -A -w --no-headers > "$dir/watch.out" 2>&1 &
watcher=$!
until [ "$(wc -l < "$dir/watch.out")" -ge "$pods" ]; do sleep 0.2; done
kubectl_first=$(echo "$(date +%s.%N) - $start" | bc)
c0=$(cpu_ticks "$watcher")
sleep "$window"
c1=$(cpu_ticks "$watcher")
kubectl_cpu=$(echo "scale=1; ($c1 - $c0) * 100 / $hz / $window" | bc)
kubectl_peak=$(peak_mib "$watcher")

echo "pods=$pods churn=${churn}/s window=${window}s"
echo "first complete list: kx ${kx_first}s, kubectl get -A -w ${kubectl_first}s, ratio $(echo "scale=3; $kx_first / $kubectl_first" | bc)"
echo "CPU under churn (% of one core): kx $kx_cpu, kubectl -w $kubectl_cpu"
echo "peak RSS: kx ${kx_peak} MiB, kubectl -w ${kubectl_peak} MiB, ratio $(echo "scale=2; $kx_peak / $kubectl_peak" | bc)"
echo "kx frames in the window: $(count "$frames"), draw ms p50 $(pct "$frames" 0.5) p99 $(pct "$frames" 0.99) max $(echo "$frames" | tail -1)"
echo "kx update batches: $(count "$updates"), ms p50 $(pct "$updates" 0.5) max $(echo "$updates" | tail -1)"
