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

# Following, both from now on (--tail 0 / --since 1s), for the same window: lines per second and
# CPU per 100,000 lines.
follow_run() { # name, command...
  local name=$1; shift
  "$@" > "$dir/$name.follow" 2>/dev/null &
  local pid=$!
  sleep 2
  local l0 c0 l1 c1
  l0=$(wc -l < "$dir/$name.follow"); c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep "$follow"
  l1=$(wc -l < "$dir/$name.follow"); c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  local lines=$((l1 - l0)) cpu
  cpu=$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)
  printf '%-8s following: %8d lines/s; CPU %.3f s per 100k lines\n' "$name" "$((lines / follow))" \
    "$(echo "$cpu * 100000 / ($lines + 1)" | bc -l)"
}
follow_run kx "$bin" logs . -n ns-000 -o raw --tail 0 --max-log-requests 1000
follow_run kubectl kubectl logs -n ns-000 -l app --all-containers --prefix -f --tail=0 --max-log-requests=1000
echo "the simulator writes $((pods * 2 * rate)) lines/s in all"
