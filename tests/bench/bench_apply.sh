#!/usr/bin/env bash
# Benchmark: apply 1,000 updates against the sandbox with 20 ms of latency
# per request, --concurrency 8 --rate 0: target under 3.5 s wall (the floor
# is 1,000 x 20 ms / 8 = 2.5 s). Then the default --rate 4 over 60 updates:
# the sandbox must see no more than 4 requests in any second, and an average
# under 4 per second.
. "$(dirname "$0")/../cli/lib.sh"
: "${RUSAGE:?}"

N=${BENCH_UPDATES:-1000}
RATED=${BENCH_RATED_UPDATES:-60}

gen_state "$N" >"$T/state.json"
mkdir -p "$T/repo"
gen_desired "$N" "$N" >"$T/repo/domains.yaml"
make_repo "$T/repo"
cd "$T/repo"
sandbox_start "$T/state.json" --latency-ms 20

expect_exit 2 plan -q --force --out "$T/plan.json"
reset_stats
set +e
"$RUSAGE" "$T/ru.json" "$MAILWARD" apply "$T/plan.json" -q --force --concurrency 8 --rate 0 >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 0 ] || { tail "$T/out" "$T/err"; fail "apply exited $rc"; }
wall=$(jget "$T/ru.json" .wall_s)
echo "apply, $N updates, 20 ms latency, --concurrency 8 --rate 0: wall $wall s," \
	"peak RSS $(($(jget "$T/ru.json" .max_rss_kb) / 1024)) MB," \
	"requests $(stats .requests.total) (patch $(stats .requests.patch), list $(stats .requests.list))," \
	"most in flight $(stats .max_concurrent)"
awk -v w="$wall" 'BEGIN { exit !(w < 3.5) }' || fail "wall time $wall s is not under 3.5 s"

# The same with the write-ahead audit log (an fsynced batch of intents
# before the requests start, a sent and a result record each: 3,000 records) in $T (the
# disk, not a tmpfs, unless $TMPDIR is one): at most 10% slower. The machine
# is shared, so each variant runs BENCH_AUDIT_RUNS times, alternating on a
# fresh sandbox, and the medians are compared.
AUDIT_DIR=${BENCH_AUDIT_DIR:-$T}
RUNS=${BENCH_AUDIT_RUNS:-3}
one_apply() { # OUT-VAR [--audit-log FILE]
	local var=$1
	shift
	sandbox_restart "$T/state.json" --latency-ms 20
	expect_exit 2 plan -q --out "$T/plan.json"
	set +e
	"$RUSAGE" "$T/ru_one.json" "$MAILWARD" apply "$T/plan.json" -q --concurrency 8 --rate 0 \
		"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" = 0 ] || { tail "$T/out" "$T/err"; fail "apply $* exited $rc"; }
	printf -v "$var" '%s' "$(jget "$T/ru_one.json" .wall_s)"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
plain=() audited=()
for ((r = 0; r < RUNS; r++)); do
	one_apply w
	plain+=("$w")
	rm -f "$AUDIT_DIR/bench-audit.jsonl"
	one_apply w --audit-log "$AUDIT_DIR/bench-audit.jsonl"
	audited+=("$w")
	[ "$(wc -l <"$AUDIT_DIR/bench-audit.jsonl")" = $((3 * N)) ] || fail "audit records"
	"$MAILWARD" audit verify "$AUDIT_DIR/bench-audit.jsonl" >/dev/null ||
		fail "the benchmark's audit log does not verify"
done
rm -f "$AUDIT_DIR/bench-audit.jsonl"
mp=$(median "${plain[@]}")
ma=$(median "${audited[@]}")
echo "apply, $N updates, same, --audit-log ($((3 * N)) records on" \
	"$(df -T "$AUDIT_DIR" | awk 'NR == 2 { print $2 }')) against none, median of $RUNS each:" \
	"$ma s against $mp s, $(awk -v a="$ma" -v w="$mp" 'BEGIN { printf "%+.1f%%", (a / w - 1) * 100 }')" \
	"(without: ${plain[*]}; with: ${audited[*]})"
awk -v a="$ma" -v w="$mp" 'BEGIN { exit !(a <= w * 1.10) }' ||
	fail "the audit log costs more than 10%: $ma s against $mp s"

# The default rate, on a fresh account of RATED domains.
sandbox_stop
gen_state "$RATED" >"$T/state2.json"
gen_desired "$RATED" "$RATED" >domains.yaml
commit . "rated"
sandbox_start "$T/state2.json" --latency-ms 20
expect_exit 2 plan -q --force --out "$T/plan2.json"
reset_stats
"$RUSAGE" "$T/ru2.json" "$MAILWARD" apply "$T/plan2.json" -q --force >"$T/out" 2>"$T/err" || fail "rated apply"
max1s=$(stats .max_in_any_1s)
avg=$(stats .avg_rate)
echo "apply, $RATED updates, default --rate 4: wall $(jget "$T/ru2.json" .wall_s) s," \
	"requests $(stats .requests.total), most in any second $max1s, average $avg/s"
[ "$max1s" -le 4 ] || fail "$max1s requests in one second: over 4"
awk -v a="$avg" 'BEGIN { exit !(a < 4) }' || fail "average rate $avg is not under 4/s"
assert_all_valid
echo ok
