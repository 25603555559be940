#!/usr/bin/env bash
# apply under faults: 429 and 5xx and dropped connections are retried; a 4xx
# fails that one operation and not the others (exit 5, the API's code and
# message in the summary and the audit log, plan shows what is left); a
# DELETE answered 404 is done; retries are bounded; an audit log that cannot
# be created stops everything before the first request; a PATCH answered 200
# whose result does not show the change is a failure.
. "$(dirname "$0")/lib.sh"

gen_state 8 >"$T/state.json"
id() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
# shellcheck disable=SC2034
DOMAINS=/accounts/$ACCOUNT/email-security/settings/domains

# d1..d6 get lookback_hops 3, d7 is absent, d8 is unmanaged: 7 operations.
R=$T/repo
mkdir -p "$R"
{
	printf 'account_id: %s\ndomains:\n' "$ACCOUNT"
	for i in 1 2 3 4 5 6; do printf '  d%d.example.com: {lookback_hops: 3}\n' "$i"; done
	printf '  d7.example.com: {absent: true}\n'
} >"$R/d.yaml"
make_repo "$R"
cd "$R"

# audit_line ID PATH: one value of the audit line about domain ID.
audit_line() {
	grep -F "\"domain_id\":\"$1\"" "$T/audit.jsonl" | tail -n 1 | jget - "$2"
}
# fresh [SANDBOX FLAGS...]: a sandbox with the starting state, a new audit log.
fresh() {
	sandbox_restart "$T/state.json" "$@"
	rm -f "$T/audit.jsonl"
}
applied_all() {
	assert_contains "$OUT" "Apply: 6 updated, 1 deleted, 0 already gone, 0 failed, 0 not sent"
	expect_exit 0 plan
	assert_contains "$OUT" "No changes"
}

# --- a storm of 429: waited out, all applied ----------------------------------
fresh --fault op=patch,action=429,retry-after=1,count=3
expect_exit 0 apply --auto-approve --rate 0 --audit-log "$T/audit.jsonl"
assert_eq "$(stats .status.429)" 3 "429 answers"
assert_eq "$(stats .requests.patch)" 9 "PATCH requests (6 + 3 retried)"
assert_eq "$(wc -l <"$T/audit.jsonl")" 21 "audit lines (an intent, sent and a result each)"
grep '"event":"result"' "$T/audit.jsonl" >"$T/results.jsonl"
total_attempts=0
for i in 0 1 2 3 4 5 6; do
	total_attempts=$((total_attempts + $(jget -l "$T/results.jsonl" "[$i].attempts")))
done
assert_eq "$total_attempts" 10 "attempts recorded in the audit log"
applied_all
# The sandbox's own rate limit (3 per second), with mailward's limit off.
fresh --rate-limit 3/1
expect_exit 0 apply --auto-approve --rate 0 --concurrency 8
[ "$(stats .rate_limited)" -ge 1 ] || fail "the sandbox's rate limit was never hit"
applied_all

# --- 5xx, then success ------------------------------------------------------
fresh --fault op=patch,action=status,status=503,count=2 --fault op=delete,action=status,status=502,count=1
expect_exit 0 apply --auto-approve --rate 0 --audit-log "$T/audit.jsonl"
assert_eq "$(stats .status.503)" 2 "503 answers"
assert_eq "$(stats .status.502)" 1 "502 answers"
assert_eq "$(audit_line "$(id 7)" .attempts)" 2 "attempts of the DELETE"
applied_all

# --- a dropped connection on a PATCH: retried ----------------------------------
fresh --fault "op=patch,path=$(id 4),action=drop"
expect_exit 0 apply --auto-approve --rate 0 --audit-log "$T/audit.jsonl"
assert_eq "$(stats .dropped)" 1 "dropped connections"
assert_eq "$(audit_line "$(id 4)" .outcome)" applied "outcome after a dropped connection"
applied_all

# --- a 400 on one of many: the others are applied, exit 5 ----------------------
fresh "--fault=op=patch,path=$(id 3),action=status,status=400,code=1004,message=Lookback hops not allowed here,count=0"
expect_exit 5 apply --auto-approve --rate 0 --audit-log "$T/audit.jsonl"
assert_contains "$OUT" "Apply: 5 updated, 1 deleted, 0 already gone, 1 failed, 0 not sent"
assert_contains "$OUT" "d3.example.com ($(id 3)): HTTP 400: code 1004: Lookback hops not allowed here"
assert_contains "$OUT" "✗ update d3.example.com"
assert_contains "$ERR" "1 of 7 operations failed"
assert_eq "$(stats .requests.patch)" 6 "PATCH requests (a 400 is not retried)"
assert_eq "$(wc -l <"$T/audit.jsonl")" 21 "audit lines"
assert_eq "$(audit_line "$(id 3)" .outcome)" failed "outcome of the 400"
assert_eq "$(audit_line "$(id 3)" .status)" 400 "status of the 400"
audit_line "$(id 3)" .error | grep -qF "code 1004: Lookback hops not allowed here" ||
	fail "the audit line lacks the API's error"
assert_eq "$(audit_line "$(id 3)" .api_errors[0].code)" 1004 "the API's error code"
assert_eq "$(audit_line "$(id 3)" .after.lookback_hops)" 2 "after of a failed update"
assert_eq "$(audit_line "$(id 2)" .outcome)" applied "outcome of the others"
# What is left: exactly that one domain.
expect_exit 2 plan --format json
assert_eq "$(jget "$OUT" .summary)" '{"update":1,"delete":0,"missing":0,"noop":6,"unmanaged":1}' \
	"plan after a partial apply"
assert_eq "$(jget "$OUT" .changes[0].domain)" d3.example.com "what is left"
assert_eq "$(jget "$OUT" .changes[0].body)" '{"lookback_hops":3}' "body of what is left"

# A 403 on a DELETE: failed too.
fresh "--fault=op=delete,action=status,status=403,code=9109,message=Unauthorized to access requested resource"
expect_exit 5 apply --auto-approve --rate 0
assert_contains "$OUT" "d7.example.com ($(id 7)): HTTP 403: code 9109: Unauthorized to access requested resource"
assert_contains "$OUT" "Apply: 6 updated, 0 deleted, 0 already gone, 1 failed, 0 not sent"

# --- a DELETE answered 404: already gone, done -----------------------------------
fresh "--fault=op=delete,action=status,status=404,code=1002,message=Not found"
expect_exit 0 apply --auto-approve --rate 0 --audit-log "$T/audit.jsonl"
assert_contains "$OUT" "Apply: 6 updated, 0 deleted, 1 already gone, 0 failed, 0 not sent"
assert_eq "$(audit_line "$(id 7)" .outcome)" already_gone "outcome of a DELETE answered 404"
assert_eq "$(audit_line "$(id 7)" .status)" 404 "status of a DELETE answered 404"

# --- persistent 500 beyond --retries 1: failed, exit 5 ----------------------------
fresh "--fault=op=patch,path=$(id 5),action=status,status=500,count=0"
expect_exit 5 apply --auto-approve --rate 0 --retries 1 --audit-log "$T/audit.jsonl"
assert_contains "$OUT" "d5.example.com ($(id 5)): HTTP 500"
assert_eq "$(stats .status.500)" 2 "attempts at d5 with --retries 1"
assert_eq "$(audit_line "$(id 5)" .attempts)" 2 "attempts recorded"
assert_eq "$(audit_line "$(id 5)" .outcome)" failed "outcome after retries"
expect_exit 2 plan --format json
assert_eq "$(jget "$OUT" .changes[0].domain)" d5.example.com "what is left after a 500"
assert_eq "$(jget -n "$OUT" .changes)" 1 "changes left after a 500"
# A connection dropped every time: failed, exit 5.
fresh "--fault=op=patch,path=$(id 6),action=drop,count=0"
expect_exit 5 apply --auto-approve --rate 0 --retries 1
assert_contains "$OUT" "d6.example.com ($(id 6))"
assert_contains "$OUT" "Apply: 5 updated, 1 deleted, 0 already gone, 1 failed, 0 not sent"

# --- the audit log cannot be created: exit 1, nothing sent ----------------------
fresh
mkdir -p "$T/audit-dir"
expect_exit 2 plan --out "$T/plan.json"
reset_stats
expect_exit 1 apply "$T/plan.json" --audit-log "$T/audit-dir"
assert_contains "$ERR" "audit-dir"
assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 0/0 "PATCH/DELETE without an audit log"
expect_exit 1 apply --auto-approve --audit-log "$T/no/such/dir/audit.jsonl"
assert_contains "$ERR" "audit.jsonl"
assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 0/0 "PATCH/DELETE without an audit log"
# A device as the audit log (/dev/full: every write fails) is refused at
# once, before anything is sent (audit_fullfs.sh and audit_test.c cover a
# full disk under a regular file).
reset_stats
expect_exit 1 apply "$T/plan.json" --audit-log /dev/full --concurrency 1 --rate 0
assert_contains "$ERR" "audit log '/dev/full' is not a regular file"
assert_eq "$(( $(stats .requests.patch) + $(stats .requests.delete) ))" 0 \
	"operations sent with /dev/full as the audit log"
# The plan is still good afterwards.
expect_exit 0 apply "$T/plan.json" --audit-log "$T/audit.jsonl" --rate 0
applied_all

assert_all_valid

# --- verification: a PATCH answered 200 that did not apply the change -------------
# The sandbox cannot answer that; a small proxy in front of it can: it
# forwards GET and DELETE, and answers a PATCH with the domain unchanged.
if command -v python3 >/dev/null 2>&1; then
	fresh
	cat >"$T/liar.py" <<'PY'
import http.server, sys, urllib.request, urllib.error
UP = sys.argv[1]
KEEP = ("authorization", "x-auth-email", "x-auth-key", "accept")
class H(http.server.BaseHTTPRequestHandler):
    def fwd(self, method):
        hdrs = {k: v for k, v in self.headers.items() if k.lower() in KEEP}
        req = urllib.request.Request(UP + self.path, method=method, headers=hdrs)
        try:
            r = urllib.request.urlopen(req)
            status, data, h = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, data, h = e.code, e.read(), e.headers
        self.send_response(status)
        for k in ("Content-Type", "cf-ray"):
            if h.get(k):
                self.send_header(k, h[k])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.fwd("GET")
    def do_DELETE(self):
        self.fwd("DELETE")
    def do_PATCH(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.fwd("GET")
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d/client/v4" % s.server_port, flush=True)
s.serve_forever()
PY
	python3 "$T/liar.py" "$SANDBOX_BASE" >"$T/liar.out" 2>"$T/liar.err" &
	LIAR_PID=$!
	trap 'kill "$LIAR_PID" 2>/dev/null || true; cleanup' EXIT
	for _ in $(seq 1 200); do
		grep -q '^listening on ' "$T/liar.out" 2>/dev/null && break
		sleep 0.05
	done
	LIAR_URL=$(sed -n 's/^listening on //p' "$T/liar.out")
	[ -n "$LIAR_URL" ] || fail "the lying proxy did not start"
	expect_exit 5 apply --auto-approve --rate 0 --api-url "$LIAR_URL" --audit-log "$T/audit.jsonl"
	assert_contains "$OUT" "Apply: 0 updated, 1 deleted, 0 already gone, 6 failed, 0 not sent"
	assert_contains "$OUT" "did not apply"
	assert_contains "$OUT" "lookback_hops is 2, not 3"
	assert_eq "$(audit_line "$(id 1)" .outcome)" failed "outcome of an unverified PATCH"
	kill "$LIAR_PID" 2>/dev/null || true
	wait "$LIAR_PID" 2>/dev/null || true
else
	echo "skipped: verification of PATCH results (no python3 for the lying proxy)"
fi
echo ok
