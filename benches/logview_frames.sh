#!/usr/bin/env bash
# The TUI log view under load: the release kx in tmux (`kx logs . -n ns-000 --tui`) while
# PODS pods (two containers each) of `kx sim --scenario scale` write RATE lines a second per
# container. Reports frame draw times and update times from kx's debug log, and kx's CPU.
# Usage: benches/logview_frames.sh [PODS] [RATE] [WINDOW_SECS]   (defaults: 100 pods x 2 x 100/s = 20,000 lines/s)
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100}
rate=${2:-100}
window=${3:-20}
bin=$PWD/target/release/kx
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
sock="kx-logview-$$"
sim=""
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; [ -n "$sim" ] && kill $sim 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" sim --scenario scale --namespaces 1 --pods "$pods" --log-rate "$rate" \
  --kubeconfig-out "$dir/kc" > "$dir/sim.out" &
sim=$!
until grep -q '^ready' "$dir/sim.out" 2>/dev/null; do sleep 0.1; done
tmux -L "$sock" new-session -d -s kx -x 200 -y 50 \
  "XDG_STATE_HOME=$dir/state KX_CONFIG_DIR=$dir/cfg KX_LOG=kx=debug KUBECONFIG=$dir/kc exec $bin logs . -n ns-000 --tui --max-log-requests 1000"
deadline=$((SECONDS + 60))
until tmux -L "$sock" capture-pane -p -t kx 2>/dev/null | grep -q "$((pods * 2)) containers"; do
  if [ "$SECONDS" -gt "$deadline" ]; then
    echo "kx never followed $((pods * 2)) containers; its screen:" >&2
    tmux -L "$sock" capture-pane -p -t kx >&2
    exit 1
  fi
  sleep 0.1
done
kx=$(tmux -L "$sock" list-panes -t kx -F '#{pane_pid}')
log="$dir/state/kx/kx.log"
sleep 3
skip=$(wc -l < "$log")
hz=$(getconf CLK_TCK)
c0=$(awk '{print $14 + $15}' "/proc/$kx/stat")
sleep "$window"
c1=$(awk '{print $14 + $15}' "/proc/$kx/stat")
header=$(tmux -L "$sock" capture-pane -p -t kx | head -1)
frames=$(tail -n +"$((skip + 1))" "$log" | grep -o 'draw_ms=[0-9.]*' | cut -d= -f2 | sort -n || true)
updates=$(tail -n +"$((skip + 1))" "$log" | grep -o 'update_ms=[0-9.]*' | cut -d= -f2 | sort -n || true)
pct() { echo "$1" | awk -v p="$2" '{a[NR]=$1} END {if (NR) {i=int(NR*p); if (i<1) i=1; print a[i]} else print "n/a"}'; }
echo "pods=$pods containers=$((pods * 2)) rate=${rate}/s each = $((pods * 2 * rate)) lines/s; window ${window}s"
echo "kx CPU: $(echo "scale=1; ($c1 - $c0) * 100 / $hz / $window" | bc)% of one core; peak RSS $(( $(awk '/VmHWM/{print $2}' /proc/$kx/status) / 1024 )) MiB"
echo "frames: $(echo "$frames" | grep -c .), draw ms p50 $(pct "$frames" 0.5) p99 $(pct "$frames" 0.99) max $(echo "$frames" | tail -1)"
echo "updates: $(echo "$updates" | grep -c .), ms p50 $(pct "$updates" 0.5) max $(echo "$updates" | tail -1)"
echo "header at the end: $header"
