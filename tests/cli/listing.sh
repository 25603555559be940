#!/usr/bin/env bash
# Live state is read with the list endpoint, ceil(N/1000) requests and
# nothing else; pages that contradict each other or fail after retries fail
# the run and no plan is saved; 5xx, 429 and dropped connections are retried.
. "$(dirname "$0")/lib.sh"

for n in 1000 1001 2500; do
	gen_state "$n" >"$T/state-$n.json"
done

# Desired: d1 gets lookback_hops 3, the rest is unmanaged.
R=$T/repo
mkdir -p "$R"
printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 3}\n' "$ACCOUNT" >"$R/d.yaml"
make_repo "$R"
cd "$R"

# no_plan FILE: the run failed and left no plan behind.
no_plan() {
	[ ! -e "$1" ] || fail "a plan was saved by a failed run: $1"
}

# --- ceil(N/1000) list requests, nothing else -------------------------------
sandbox_restart "$T/state-2500.json" --log "$T/requests.log"
expect_exit 2 plan --out "$T/plan.json"
assert_eq "$(stats .requests.total)" 3 "requests for 2,500 domains"
assert_eq "$(stats .requests.list)" 3 "list requests for 2,500 domains"
assert_contains "$ERR" "listed 2500 live domains in 3 requests"
assert_eq "$(jget "$T/plan.json" .summary)" '{"update":1,"delete":0,"missing":0,"noop":0,"unmanaged":2499}' \
	"plan of 2,500 domains"
assert_eq "$(jget "$T/plan.json" .unmanaged[2498].domain)" d999.example.com "last unmanaged (sorted)"
# Every page asked with per_page at its maximum, pages 1 to 3, once each.
for p in 1 2 3; do
	assert_eq "$(grep -c "page=$p&" "$T/requests.log" || true)" 1 "requests for page $p"
done
assert_eq "$(grep -c 'per_page=1000' "$T/requests.log")" 3 "requests with per_page=1000"

sandbox_restart "$T/state-1000.json"
expect_exit 2 plan
assert_eq "$(stats .requests.total)" 1 "requests for 1,000 domains"
assert_contains "$ERR" "listed 1000 live domains in 1 request"
sandbox_restart "$T/state-1001.json"
expect_exit 2 plan
assert_eq "$(stats .requests.total)" 2 "requests for 1,001 domains"
assert_eq "$(stats .requests.list)" 2 "list requests for 1,001 domains"
assert_contains "$ERR" "listed 1001 live domains in 2 requests"

# --- contradicting pages: exit 1, a consistency message, no plan --------------
P=$T/p.json
# More announced than served.
sandbox_restart "$T/state-2500.json" --fault op=list,page=1,action=lie-total,total=3000
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "the domain listing is inconsistent"
assert_contains "$ERR" "3000"
no_plan "$P"
sandbox_restart "$T/state-1000.json" --fault op=list,action=lie-total,total=1001
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "inconsistent"
no_plan "$P"
# Fewer announced than served.
sandbox_restart "$T/state-2500.json" --fault op=list,page=1,action=lie-total,total=1500
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "inconsistent"
no_plan "$P"
# A page that repeats page 1.
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=duplicate
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "inconsistent"
assert_contains "$ERR" "page 2"
no_plan "$P"
# A short page, in the middle and at the end.
sandbox_restart "$T/state-2500.json" --fault op=list,page=2,action=short
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "page 2 holds 999 domains where 1000 were announced"
no_plan "$P"
sandbox_restart "$T/state-2500.json" --fault op=list,page=3,action=short
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "page 3 holds 499 domains where 500 were announced"
no_plan "$P"
# apply plans on the same listing: it refuses too, and sends nothing.
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=short
expect_exit 1 apply --auto-approve
assert_contains "$ERR" "inconsistent"
assert_eq "$(stats .requests.patch)" 0 "PATCH sent after an inconsistent listing"

# --- retried: 5xx, 429, a dropped connection ----------------------------------
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=status,status=500,count=2
expect_exit 2 plan --out "$P"
assert_eq "$(stats .requests.list)" 4 "list requests with two 500s"
assert_eq "$(stats .status.500)" 2 "500 answers"
assert_eq "$(jget "$P" .live_count)" 1001 "domains listed after retries"
rm -f "$P"
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=429,retry-after=1
expect_exit 2 plan --out "$P"
assert_eq "$(stats .status.429)" 1 "429 answers"
assert_eq "$(stats .requests.list)" 3 "list requests with one 429"
assert_eq "$(jget "$P" .live_count)" 1001 "domains listed after a 429"
rm -f "$P"
# The sandbox's own rate limit (1 per second): pages 2 and 3 go together,
# so one of them at least is answered 429 and waits.
sandbox_restart "$T/state-2500.json" --rate-limit 1/1
expect_exit 2 plan --out "$P"
limited=$(stats .rate_limited)
[ "$limited" -ge 1 ] || fail "no request was rate-limited by the sandbox"
assert_eq "$(stats .requests.list)" $((3 + limited)) "list requests under the sandbox's rate limit"
assert_eq "$(jget "$P" .live_count)" 2500 "domains listed under a rate limit"
rm -f "$P"
sandbox_restart "$T/state-2500.json" --fault op=list,page=3,action=drop
expect_exit 2 plan --out "$P"
assert_eq "$(stats .dropped)" 1 "dropped connections"
assert_eq "$(stats .requests.list)" 4 "list requests with a dropped connection"
assert_eq "$(jget "$P" .live_count)" 2500 "domains listed after a dropped connection"
rm -f "$P"
sandbox_restart "$T/state-1000.json" --fault op=list,action=drop
expect_exit 2 plan --out "$P"
assert_eq "$(jget "$P" .live_count)" 1000 "domains listed after page 1 was dropped"
rm -f "$P"

# --- not retried: an answer that is not JSON, success:false --------------------
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=malformed
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "page 2"
assert_contains "$ERR" "not a JSON envelope"
no_plan "$P"
sandbox_restart "$T/state-1001.json" \
	"--fault=op=list,page=1,action=envelope-false,code=1234,message=Listing is unavailable"
expect_exit 1 plan --out "$P"
assert_contains "$ERR" "code 1234: Listing is unavailable"
no_plan "$P"

# --- failing beyond --retries ------------------------------------------------
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=status,status=503,count=0
expect_exit 1 plan --out "$P" --retries 1
assert_contains "$ERR" "page 2"
assert_contains "$ERR" "HTTP 503"
assert_eq "$(stats .status.503)" 2 "attempts at page 2 with --retries 1"
no_plan "$P"
sandbox_restart "$T/state-1001.json" --fault op=list,page=2,action=drop,count=0
expect_exit 1 plan --out "$P" --retries 2
assert_contains "$ERR" "page 2"
assert_contains "$ERR" "after 3 attempts"
# (libcurl itself resends once a request whose reused connection died.)
[ "$(stats .dropped)" -ge 3 ] || fail "page 2 was not tried 3 times with --retries 2"
no_plan "$P"
sandbox_restart "$T/state-1001.json" --fault op=list,action=429,retry-after=1,count=0
expect_exit 1 plan --out "$P" --retries 1
assert_contains "$ERR" "HTTP 429"
assert_eq "$(stats .status.429)" 2 "attempts after 429 with --retries 1"
no_plan "$P"

assert_all_valid
echo ok
