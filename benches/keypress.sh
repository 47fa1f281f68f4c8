#!/usr/bin/env bash
# How long a key takes to reach the screen at scale: the release kx in tmux on all pods of
# `kx sim --scenario scale --pods N`, a regex filter on (matching about half the rows), then
# `j` pressed 100 times; each key's time from arrival to its frame comes from kx's debug log.
# With CHURN=R the simulator modifies R pods a second meanwhile.
# Usage: benches/keypress.sh [PODS] [KX_BINARY]   (defaults 100000, target/release/kx)
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100000}
bin=${2:-$PWD/target/release/kx}
churn=${CHURN:-0}
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
sock="kx-keys-$$"
sim=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$sim" ] && kill "$sim" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

"$bin" sim --scenario scale --pods "$pods" --namespaces 100 --churn "$churn" \
  --kubeconfig-out "$dir/kc" > "$dir/sim.out" &
sim=$!
until grep -q '^ready' "$dir/sim.out" 2>/dev/null; do sleep 0.1; done
tmux -L "$sock" new-session -d -s kx -x 200 -y 50 \
  "XDG_STATE_HOME=$dir/state KX_CONFIG_DIR=$dir/cfg KX_LOG=kx=debug KUBECONFIG=$dir/kc exec $bin -A"
until tmux -L "$sock" capture-pane -p -t kx 2>/dev/null | grep -q " $pods rows"; do sleep 0.1; done
# Namespaces ns-000 … ns-049 of 100: about half the rows pass the filter.
tmux -L "$sock" send-keys -t kx '/' 'ns-0[0-4]' Enter
until tmux -L "$sock" capture-pane -p -t kx | grep -q "/$pods rows"; do sleep 0.1; done
sleep 1
log="$dir/state/kx/kx.log"
skip=$(wc -l < "$log")
for _ in $(seq 100); do
  tmux -L "$sock" send-keys -t kx j
  sleep 0.05
done
sleep 1
keys=$(tail -n +"$((skip + 1))" "$log" | grep -o 'key_ms=[0-9.]*' | cut -d= -f2 | sort -n)
n=$(echo "$keys" | grep -c . || true)
pct() { echo "$keys" | awk -v p="$1" '{a[NR]=$1} END {if (NR) {i=int(NR*p); if (i<1) i=1; print a[i]} else print "n/a"}'; }
echo "pods=$pods churn=${churn}/s filter /ns-0[0-4]: $n keys answered, key to frame ms p50 $(pct 0.5) p90 $(pct 0.9) max $(echo "$keys" | tail -1)"
