#!/usr/bin/env bash
# Benchmark: the agent's memory stays flat. 2,000 cycles back to back
# (--interval 0) against 1,000 live domains (10 drifted) in the sandbox;
# the peak RSS (VmHWM) after the last cycle must be within 10% of the peak
# after the 100th. Knobs: BENCH_AGENT_CYCLES, BENCH_AGENT_DOMAINS.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/../cli/agent_lib.sh"

CYCLES=${BENCH_AGENT_CYCLES:-2000}
N=${BENCH_AGENT_DOMAINS:-1000}
FIRST=100

gen_state "$N" >"$T/state.json"
mkdir -p "$T/repo"
gen_desired "$N" 10 >"$T/repo/domains.yaml"
make_repo "$T/repo"
sandbox_start "$T/state.json"

status_kb() {
	sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$AGENT_PID/status"
}
cycles() {
	metric 'mailward_cycles_total{result="ok"}'
}

t0=$(date +%s.%N)
agent_start --repo "$T/repo" --interval 0 --rate 0
wait_until 120 metric_at_least 'mailward_cycles_total{result="ok"}' "$FIRST"
c1=$(cycles)
hwm1=$(status_kb VmHWM)
rss1=$(status_kb VmRSS)
echo "after cycle $c1: VmHWM $hwm1 kB, VmRSS $rss1 kB"
wait_until 560 metric_at_least 'mailward_cycles_total{result="ok"}' "$CYCLES"
c2=$(cycles)
hwm2=$(status_kb VmHWM)
rss2=$(status_kb VmRSS)
t1=$(date +%s.%N)
echo "after cycle $c2: VmHWM $hwm2 kB, VmRSS $rss2 kB"
errors=$(metric 'mailward_cycles_total{result="error"}')
agent_stop
echo "agent, $N live domains, $c2 cycles at --interval 0: $(awk -v a="$t0" -v b="$t1" -v c="$c2" \
	'BEGIN { printf "%.1f s, %.1f ms per cycle", b - a, (b - a) * 1000 / c }'); $errors failed"
[ "$errors" = 0 ] || fail "$errors cycles failed"
awk -v a="$hwm1" -v b="$hwm2" 'BEGIN { exit !(b <= a * 1.10) }' ||
	fail "peak RSS grew from $hwm1 kB (cycle $c1) to $hwm2 kB (cycle $c2): more than 10%"
awk -v a="$rss1" -v b="$rss2" 'BEGIN { exit !(b <= a * 1.10) }' ||
	fail "RSS grew from $rss1 kB (cycle $c1) to $rss2 kB (cycle $c2): more than 10%"
echo ok
