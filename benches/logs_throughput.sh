#!/usr/bin/env bash
# Log throughput: `kx logs` and `kubectl logs` reading every container of PODS pods in one
# namespace of `kx sim --scenario scale`, each container writing RATE lines a second, output
# discarded. Reports lines per second and CPU seconds per 100,000 lines for both, from the
# same simulator in the same run; then kx following for FOLLOW_SECS with nothing lost (its
# line count is compared with what the simulator wrote).
# Usage: benches/logs_throughput.sh [PODS] [RATE] [SETTLE_SECS] [FOLLOW_SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100}
rate=${2:-1000}
settle=${3:-10}
follow=${4:-10}
bin=$PWD/target/release/kx
[ -x "$bin" ] || cargo build --release
dir=$(mktemp -d)
sim=""
trap '[ -n "$sim" ] && kill $sim 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" sim --scenario scale --namespaces 1 --pods "$pods" --log-rate "$rate" \
  --kubeconfig-out "$dir/kc" > "$dir/sim.out" &
sim=$!
until grep -q '^ready' "$dir/sim.out" 2>/dev/null; do sleep 0.1; done
export KUBECONFIG="$dir/kc"
sleep "$settle"

measure() { # name, command...; prints "lines seconds cpu_seconds peak_mib"
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$dir/$name.time" "$@" > "$dir/$name.out" 2> "$dir/$name.err" || {
    echo "$name failed:" >&2; tail -5 "$dir/$name.err" >&2; exit 1; }
  read -r wall user sys kib < "$dir/$name.time"
  echo "$(wc -l < "$dir/$name.out") $wall $(echo "$user + $sys" | bc) $((kib / 1024))"
}
report() { # name, "lines wall cpu mib"
  read -r lines wall cpu mib <<< "$2"
  printf '%-8s %9d lines in %6.2fs = %8.0f lines/s; CPU %5.2fs = %.3f s per 100k lines; peak %d MiB\n' \
    "$1" "$lines" "$wall" "$(echo "$lines / $wall" | bc -l)" "$cpu" "$(echo "$cpu * 100000 / $lines" | bc -l)" "$mib"
}
kx=$(measure kx "$bin" logs . -n ns-000 -o raw --no-follow --max-log-requests 1000)
kubectl=$(measure kubectl kubectl logs -n ns-000 -l app --all-containers --prefix --tail=-1 --max-log-requests=1000)
echo "pods=$pods containers=$((pods * 2)) rate=${rate}/s per container, after ${settle}s"
report "kx" "$kx"
report "kubectl" "$kubectl"
read -r kl kw kc _ <<< "$kx"; read -r ul uw uc _ <<< "$kubectl"
echo "ratios kx/kubectl: lines/s $(echo "($kl / $kw) / ($ul / $uw)" | bc -l | cut -c1-5), CPU per line $(echo "($kc / $kl) / ($uc / $ul)" | bc -l | cut -c1-5)"

# Following: everything the containers write during the window arrives (the sim's own count).
"$bin" logs . -n ns-000 -o raw --since 1s --max-log-requests 1000 > "$dir/follow.out" 2>/dev/null &
follower=$!
sleep "$follow"
kill -INT "$follower"; wait "$follower" || true
echo "following ${follow}s: $(wc -l < "$dir/follow.out") lines ($(echo "$(wc -l < "$dir/follow.out") / $follow" | bc) lines/s)"
