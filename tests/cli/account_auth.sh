#!/usr/bin/env bash
# Account and credentials: where the account comes from and which source
# wins; an account mismatch is refused before any request; credentials from
# the environment, --token-file or email + key; wrong credentials show the
# API's error; plain http only to loopback; no credential ever in any output.
. "$(dirname "$0")/lib.sh"

# Every output of every run is kept, to look for credentials at the end.
ALL=$T/all-output
: >"$ALL"
run() {
	local want=$1
	shift
	mw "$@"
	cat "$OUT" "$ERR" >>"$ALL"
	[ "$RC" = "$want" ] || fail "mailward $* exited $RC, expected $want"
}

# Two accounts: ours with d1..d3, the other with o1.example.com.
gen_state 3 | sed '$d' >"$T/state.json"
cat >>"$T/state.json" <<JSON
], "$OTHER_ACCOUNT": [
{"id": "0000000f-0000-4000-8000-00000000000f", "domain": "o1.example.com", "lookback_hops": 2}
]}}
JSON
sandbox_start "$T/state.json"

# A repository whose documents name no account.
R=$T/repo
mkdir -p "$R"
gen_desired 3 0 | grep -v '^account_id' >"$R/domains.yaml"
make_repo "$R"
# And one whose documents name ours.
A=$T/with-account
mkdir -p "$A"
gen_desired 3 0 >"$A/domains.yaml"
make_repo "$A"
cd "$R"

# --- where the account comes from --------------------------------------------
run 0 plan --account-id "$ACCOUNT" --format json
assert_eq "$(jget "$OUT" .account_id)" "$ACCOUNT" "account from --account-id"
CLOUDFLARE_ACCOUNT_ID=$ACCOUNT run 0 plan --format json
assert_eq "$(jget "$OUT" .account_id)" "$ACCOUNT" "account from CLOUDFLARE_ACCOUNT_ID"
run 0 plan --repo "$A" --format json
assert_eq "$(jget "$OUT" .account_id)" "$ACCOUNT" "account from the documents"
# The flag wins over the environment, both ways.
CLOUDFLARE_ACCOUNT_ID=$OTHER_ACCOUNT run 0 plan --account-id "$ACCOUNT" --format json
assert_eq "$(jget "$OUT" .account_id)" "$ACCOUNT" "--account-id over the environment"
CLOUDFLARE_ACCOUNT_ID=$ACCOUNT run 2 plan --account-id "$OTHER_ACCOUNT" --format json
assert_eq "$(jget "$OUT" .account_id)" "$OTHER_ACCOUNT" "--account-id over the environment"
assert_eq "$(jget "$OUT" .summary)" '{"update":0,"delete":0,"missing":3,"noop":0,"unmanaged":1}' \
	"plan of the other account"
# Flag or environment equal to the documents: fine.
run 0 plan --repo "$A" --account-id "$ACCOUNT"
CLOUDFLARE_ACCOUNT_ID=$ACCOUNT run 0 plan --repo "$A"

# Documents for one account, flag or environment for another: refused before
# any request.
reset_stats
run 1 plan --repo "$A" --account-id "$OTHER_ACCOUNT"
assert_contains "$ERR" "account mismatch"
assert_contains "$ERR" "$OTHER_ACCOUNT"
assert_contains "$ERR" "$ACCOUNT"
assert_contains "$ERR" "domains.yaml:1:13"
CLOUDFLARE_ACCOUNT_ID=$OTHER_ACCOUNT run 1 plan --repo "$A"
assert_contains "$ERR" "account mismatch"
assert_contains "$ERR" "CLOUDFLARE_ACCOUNT_ID"
CLOUDFLARE_ACCOUNT_ID=$OTHER_ACCOUNT run 1 apply --repo "$A" --auto-approve
assert_contains "$ERR" "account mismatch"
run 1 validate --repo "$A" --account-id "$OTHER_ACCOUNT"
assert_contains "$ERR" "account mismatch"
assert_eq "$(stats .requests.total)" 0 "requests sent despite an account mismatch"

# No account anywhere; a malformed one.
run 1 plan
assert_contains "$ERR" "no account"
assert_contains "$ERR" "--account-id"
assert_contains "$ERR" "CLOUDFLARE_ACCOUNT_ID"
run 1 plan --account-id 023e105f4ecef8ad9ca31a8372d0c35
assert_contains "$ERR" "is not an account id"
run 1 plan --account-id 023e105f4ecef8ad9ca31a8372d0c35z
assert_contains "$ERR" "is not an account id"
CLOUDFLARE_ACCOUNT_ID=not-an-account run 1 plan
assert_contains "$ERR" "CLOUDFLARE_ACCOUNT_ID"
assert_contains "$ERR" "is not an account id"
mkdir -p "$T/badacct"
printf 'account_id: 12345\ndomains:\n  d1.example.com: {lookback_hops: 2}\n' >"$T/badacct/d.yaml"
make_repo "$T/badacct"
run 1 plan --repo "$T/badacct"
assert_output_contains "d.yaml:1:13: account_id takes a Cloudflare account id"
assert_eq "$(stats .requests.total)" 0 "requests sent without a valid account"

# --- credentials ----------------------------------------------------------
# None: the message names CLOUDFLARE_API_TOKEN, nothing is sent.
CLOUDFLARE_API_TOKEN='' run 1 plan --account-id "$ACCOUNT"
assert_contains "$ERR" "CLOUDFLARE_API_TOKEN"
(unset CLOUDFLARE_API_TOKEN; mw plan --account-id "$ACCOUNT"; cat "$OUT" "$ERR" >>"$ALL"; exit "$RC") &&
	fail "plan without credentials succeeded"
assert_contains "$ERR" "CLOUDFLARE_API_TOKEN"
# Only half of the legacy pair.
CLOUDFLARE_API_TOKEN='' CLOUDFLARE_EMAIL=ops@example.com run 1 plan --account-id "$ACCOUNT"
assert_contains "$ERR" "CLOUDFLARE_API_KEY"
assert_eq "$(stats .requests.total)" 0 "requests sent without credentials"
# A token with a line break inside is refused, not sent as two headers.
WRONG1="$TOKEN-bad"$'\n'"X-Injected: 1"
CLOUDFLARE_API_TOKEN=$WRONG1 run 1 plan --account-id "$ACCOUNT"
assert_contains "$ERR" "control characters"
assert_eq "$(stats .requests.total)" 0 "requests sent with a broken token"

# A wrong token: the API's code 10000 and the hint, one request (4xx is not retried).
WRONG=wrong-$RANDOM-token-value
CLOUDFLARE_API_TOKEN=$WRONG run 1 plan --account-id "$ACCOUNT"
assert_contains "$ERR" "HTTP 401"
assert_contains "$ERR" "code 10000"
assert_contains "$ERR" "check the credentials"
assert_eq "$(stats .requests.total)" 1 "requests sent with a wrong token"
assert_eq "$(stats .unauthorized)" 1 "unauthorized requests"
assert_eq "$(wc -l <"$OUT")" 0 "a plan printed with a wrong token"

# --token-file: surrounding white space is not part of the token; it wins
# over the environment, both ways.
printf '%s\n' "$TOKEN" >"$T/token"
printf '  %s \r\n\n' "$WRONG" >"$T/wrong-token"
CLOUDFLARE_API_TOKEN=$WRONG run 0 plan --account-id "$ACCOUNT" --token-file "$T/token"
run 1 plan --account-id "$ACCOUNT" --token-file "$T/wrong-token"
assert_contains "$ERR" "code 10000"
CLOUDFLARE_API_TOKEN='' run 0 plan --account-id "$ACCOUNT" --token-file "$T/token" --verbose
: >"$T/empty-token"
run 1 plan --account-id "$ACCOUNT" --token-file "$T/empty-token"
assert_contains "$ERR" "empty-token"
run 1 plan --account-id "$ACCOUNT" --token-file "$T/no-such-file"
assert_contains "$ERR" "no-such-file"

# CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY (X-Auth-Email / X-Auth-Key).
reset_stats
CLOUDFLARE_API_TOKEN='' CLOUDFLARE_EMAIL=ops@example.com CLOUDFLARE_API_KEY=$TOKEN \
	run 0 plan --account-id "$ACCOUNT" --verbose
assert_contains "$ERR" "GET $MAILWARD_API_URL/accounts/$ACCOUNT/email-security/settings/domains"
assert_eq "$(stats .unauthorized)" 0 "X-Auth-Key refused"
CLOUDFLARE_API_TOKEN='' CLOUDFLARE_EMAIL=ops@example.com CLOUDFLARE_API_KEY=$WRONG \
	run 1 plan --account-id "$ACCOUNT"
assert_contains "$ERR" "code 10000"

# An apply, verbose, with an audit log: no credential in it either.
gen_desired 3 1 >"$A/domains.yaml"
commit "$A" "d1: lookback_hops 3"
run 2 plan --repo "$A" --out "$T/plan.json" --verbose
run 0 apply "$T/plan.json" --repo "$A" --audit-log "$T/audit.jsonl" --verbose
assert_contains "$OUT" "✓ updated d1.example.com"
assert_contains "$ERR" "PATCH $MAILWARD_API_URL/accounts/$ACCOUNT/email-security/settings/domains/"

# --- the API URL ---------------------------------------------------------
# localhost is loopback.
PORT=${SANDBOX_BASE##*:}
run 0 plan --repo "$A" --api-url "http://localhost:$PORT/client/v4" --format json
assert_eq "$(jget "$OUT" .api_url)" "http://localhost:$PORT/client/v4" "api_url"
# The environment, and the flag over it.
SB_URL=$MAILWARD_API_URL
MAILWARD_API_URL=http://127.0.0.1:1/client/v4 run 0 plan --repo "$A" --api-url "$SB_URL"
# Plain http to any other host is refused before any request: with a proxy
# pointing at the sandbox, a request sent would be counted there.
reset_stats
for url in http://example.com/client/v4 http://[2001:db8::1]/client/v4 \
	http://127.0.0.1.example.com/client/v4; do
	http_proxy=$SANDBOX_BASE HTTP_PROXY=$SANDBOX_BASE run 1 plan --account-id "$ACCOUNT" --api-url "$url"
	assert_contains "$ERR" "plain http"
done
http_proxy=$SANDBOX_BASE MAILWARD_API_URL=http://example.com/client/v4 run 1 plan --account-id "$ACCOUNT"
assert_contains "$ERR" "plain http"
assert_eq "$(stats .requests.total)" 0 "requests sent to a plain-http, non-loopback URL"
# Loopback addresses other than 127.0.0.1 pass the check (nothing listens there).
run 1 plan --account-id "$ACCOUNT" --api-url http://127.0.0.2:1/client/v4 --retries 0
assert_not_contains "$ERR" "plain http"

# --- no credential in any output ---------------------------------------------
for f in "$ALL" "$T/plan.json" "$T/audit.jsonl"; do
	for secret in "$TOKEN" "$WRONG" "X-Injected"; do
		assert_not_contains "$f" "$secret"
	done
done
assert_not_contains "$ALL" "Bearer"
assert_not_contains "$ALL" "X-Auth-Key"
assert_all_valid

# Last, because these fail today.
# Credentials in the API URL are refused, and not echoed in the message.
mw plan --account-id "$ACCOUNT" --api-url "http://user:pw-$TOKEN@127.0.0.1:$PORT/client/v4"
[ "$RC" = 1 ] || fail "an API URL with credentials: exit $RC"
assert_contains "$ERR" "must not carry credentials"
assert_not_contains "$ERR" "$TOKEN"
# A credential is never a command-line value,
# and one typed there by mistake is not echoed into CI logs. getopt_long
# takes '--token' as an abbreviation of '--token-file', and the error then
# prints the token as a file name.
for form in --token --token=; do
	if [ "$form" = --token= ]; then
		mw plan --account-id "$ACCOUNT" "--token=$TOKEN"
	else
		mw plan --account-id "$ACCOUNT" "$form" "$TOKEN"
	fi
	[ "$RC" = 1 ] || fail "plan $form TOKEN exited $RC, expected 1"
	assert_not_contains "$ERR" "$TOKEN"
	assert_not_contains "$OUT" "$TOKEN"
done
echo ok
