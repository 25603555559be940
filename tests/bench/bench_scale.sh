#!/usr/bin/env bash
# Benchmark: the CPU time and memory of `plan` as the account grows.
# Targets (issue 9), each checked on the medians of BENCH_RUNS runs:
#   - plan of 10,000 domains (100 changes) uses at most 1.5x the CPU time
#     that libyaml and jansson alone need to parse its inputs: parse-baseline
#     (tests/bench/parse_baseline.c) loads the same desired-state file with
#     yaml_parser_load and the same list pages (fetched from the sandbox
#     once, as mailward asks for them) with json_loadb;
#   - plan of 100,000 domains stays under 150 MB peak RSS (every run) and
#     within 11x the CPU time of 10,000.
# Both accounts live in one sandbox and every round runs parse-baseline and
# plan for each size in turn, so that the figures compared were measured
# under the same load on a shared machine. CPU time is user + system of the
# measured process (rusage), not wall time; parse-baseline counts its
# parsing only. No latency is injected.
. "$(dirname "$0")/../cli/lib.sh"
: "${RUSAGE:?}" "${PARSE_BASELINE:?}"

SMALL=${BENCH_SMALL:-10000}
LARGE=${BENCH_LARGE:-100000}
CHANGES=${BENCH_CHANGES:-100}
RUNS=${BENCH_RUNS:-5}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# prepare N ACCOUNT: the repository for N domains of ACCOUNT in $T/nN.
prepare() {
	local n=$1 account=$2 dir=$T/n$1
	mkdir -p "$dir/repo"
	gen_desired "$n" "$CHANGES" | sed "s/^account_id: .*/account_id: $account/" \
		>"$dir/repo/domains.yaml"
	make_repo "$dir/repo"
}

# fetch N ACCOUNT: the list pages mailward asks for, saved as $T/nN/pageP.json.
fetch() {
	local n=$1 account=$2 p
	for ((p = 1; p <= (n + 999) / 1000; p++)); do
		api GET "/accounts/$account/email-security/settings/domains?page=$p&per_page=1000&order=domain&direction=asc" \
			-o "$T/n$n/page$p.json"
	done
}

# baseline N: parse-baseline on N's inputs; prints its CPU time.
baseline() {
	local dir=$T/n$1
	"$PARSE_BASELINE" "$dir/base.json" "$dir/repo/domains.yaml" "$dir"/page*.json ||
		fail "parse-baseline failed"
	jget "$dir/base.json" .cpu_s
}

# plan N: one plan of N domains; prints "CPU_S MAX_RSS_KB", checks the plan.
plan() {
	local n=$1 dir=$T/n$1 rc
	set +e
	(cd "$dir/repo" && "$RUSAGE" "$dir/ru.json" "$MAILWARD" plan -q --out "$dir/plan.json" \
		>/dev/null 2>"$dir/err")
	rc=$?
	set -e
	[ "$rc" = 2 ] || { cat "$dir/err" >&2; fail "plan of $n domains exited $rc"; }
	[ "$(jget "$dir/plan.json" .summary.update)" = "$CHANGES" ] || fail "wrong plan for $n"
	[ "$(jget "$dir/plan.json" .live_count)" = "$n" ] || fail "wrong live count for $n"
	echo "$(jget "$dir/ru.json" .cpu_s) $(jget "$dir/ru.json" .max_rss_kb)"
}

prepare "$SMALL" "$ACCOUNT"
prepare "$LARGE" "$OTHER_ACCOUNT"
# One state, two accounts: gen_state's lists of domains side by side.
{
	printf '{"accounts": {"%s": [\n' "$ACCOUNT"
	gen_state "$SMALL" | sed '1d;$d'
	printf '], "%s": [\n' "$OTHER_ACCOUNT"
	gen_state "$LARGE" | sed '1d;$d'
	printf ']}}\n'
} >"$T/state.json"
sandbox_start "$T/state.json"
fetch "$SMALL" "$ACCOUNT"
fetch "$LARGE" "$OTHER_ACCOUNT"

small_plan=() small_base=() large_plan=() large_base=() large_rss=0
for ((r = 1; r <= RUNS; r++)); do
	small_base+=("$(baseline "$SMALL")")
	read -r cpu rss < <(plan "$SMALL")
	small_plan+=("$cpu")
	large_base+=("$(baseline "$LARGE")")
	read -r cpu lrss < <(plan "$LARGE")
	large_plan+=("$cpu")
	[ "$lrss" -gt "$large_rss" ] && large_rss=$lrss
	echo "round $r: $SMALL domains: plan ${small_plan[-1]} s CPU ($((rss / 1024)) MB), parse-baseline ${small_base[-1]} s; $LARGE domains: plan ${large_plan[-1]} s CPU ($((lrss / 1024)) MB), parse-baseline ${large_base[-1]} s"
done
assert_all_valid

sp=$(printf '%s\n' "${small_plan[@]}" | median)
sb=$(printf '%s\n' "${small_base[@]}" | median)
lp=$(printf '%s\n' "${large_plan[@]}" | median)
lb=$(printf '%s\n' "${large_base[@]}" | median)
ratio=$(awk -v p="$sp" -v b="$sb" 'BEGIN { printf "%.2f", p / b }')
lratio=$(awk -v p="$lp" -v b="$lb" 'BEGIN { printf "%.2f", p / b }')
growth=$(awk -v l="$lp" -v s="$sp" 'BEGIN { printf "%.2f", l / s }')
echo "plan, $SMALL domains: median CPU $sp s; parse-baseline median $sb s; ratio ${ratio}x (target <= 1.5x)"
echo "plan, $LARGE domains: median CPU $lp s, ${growth}x of $SMALL (target <= 11x); parse-baseline median $lb s (ratio ${lratio}x); peak RSS $((large_rss / 1024)) MB (target < 150 MB)"

awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' ||
	fail "plan of $SMALL domains uses ${ratio}x the CPU of parsing its inputs (target <= 1.5x)"
[ "$large_rss" -lt $((150 * 1024)) ] ||
	fail "plan of $LARGE domains peaks at $large_rss kB, not under 150 MB"
awk -v g="$growth" 'BEGIN { exit !(g <= 11) }' ||
	fail "plan of $LARGE domains uses ${growth}x the CPU of $SMALL (target <= 11x)"
echo ok
