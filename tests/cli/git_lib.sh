# tests/cli/git_lib.sh: git servers on loopback for the git transport tests
# (git_credentials.sh, git_timeout.sh, redaction.sh); source after lib.sh.
#
#   stub_start NAME ADDR [git-stub options...]   start git-stub on ADDR, its
#                                                base URL in $STUB_URL
#   bare_repo NAME                               $T/root/NAME.git from a
#                                                one-domain desired state
#   elapsed_since START                          seconds since START ($(now))

: "${GIT_STUB:?GIT_STUB must name the git-stub helper}"

STUB_PIDS=()

stub_start() {
	local name=$1 addr=$2
	shift 2
	"$GIT_STUB" --listen "$addr" "$@" >"$T/stub-$name.out" 2>"$T/stub-$name.err" &
	STUB_PIDS+=($!)
	for _ in $(seq 1 100); do
		if grep -q '^listening on ' "$T/stub-$name.out" 2>/dev/null; then
			STUB_URL=$(sed -n 's/^listening on //p' "$T/stub-$name.out")
			return 0
		fi
		sleep 0.05
	done
	cat "$T/stub-$name.err" >&2
	fail "git-stub $name did not start on $addr"
}

stub_stop_all() {
	local pid
	for pid in "${STUB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	STUB_PIDS=()
}

trap 'stub_stop_all; cleanup' EXIT

bare_repo() {
	mkdir -p "$T/work-$1" "$T/root"
	printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 2}\n' "$ACCOUNT" \
		>"$T/work-$1/domains.yaml"
	make_repo "$T/work-$1"
	git clone -q --bare "$T/work-$1" "$T/root/$1.git"
}

now() {
	date +%s.%N
}

elapsed_since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# Fail unless the elapsed time since START is below LIMIT seconds (15 more
# under valgrind, where mailward alone takes seconds to start and stop).
assert_faster() {
	local took limit=$2
	took=$(elapsed_since "$1")
	if under_valgrind; then
		limit=$((limit + 15))
	fi
	awk -v t="$took" -v l="$limit" 'BEGIN { exit !(t < l) }' ||
		fail "$3: took $took s, limit $limit s"
}
