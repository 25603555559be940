#!/usr/bin/env bash
# No secret in a URL reaches the output (issue 7): a --repo with userinfo
# (a password holding '@' and '/', scp-like user:pass@host:path), a query
# (?access_token=), an --api-url with credentials or a query, a --notify URL,
# --verbose traces and the plan's source.repo all show them redacted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_lib.sh"

SECRET=url-secret-$RANDOM$RANDOM
bare_repo r
printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 3}\n' "$ACCOUNT" \
	>"$T/work-r/domains.yaml"
commit "$T/work-r" "drift on d1"
git -C "$T/work-r" push -q "$T/root/r.git" main
gen_state 1 >"$T/state.json"
sandbox_start "$T/state.json"
stub_start git 127.0.0.1 --git-root "$T/root" --require-auth --log "$T/git.log"
HOSTPORT=${STUB_URL#http://}

no_secret() {
	assert_not_contains "$OUT" "$SECRET"
	assert_not_contains "$ERR" "$SECRET"
	assert_not_contains "$OUT" "$TOKEN"
	assert_not_contains "$ERR" "$TOKEN"
}

# --- bad --repo URLs: the error names the repository, redacted -------------
# Port 1 on loopback refuses connections: each of these fails.
for repo in \
	"http://bot:$SECRET@127.0.0.1:1/r.git" \
	"http://bot:a@b/$SECRET@127.0.0.1:1/r.git" \
	"http://bot:$SECRET/x@127.0.0.1:1/r.git" \
	"http://127.0.0.1:1/r.git?access_token=$SECRET" \
	"http://127.0.0.1:1/r.git?a=1&access_token=$SECRET#frag" \
	"deploy:$SECRET@127.0.0.1:r.git" \
	"deploy:a@$SECRET@127.0.0.1:r.git"; do
	expect_exit 1 validate --repo "$repo" --cache-dir "$T/c-bad"
	no_secret
	assert_contains "$ERR" "127.0.0.1"
done
expect_exit 1 validate --repo "http://bot:$SECRET@127.0.0.1:1/r.git" --cache-dir "$T/c-bad"
assert_contains "$ERR" "'http://***@127.0.0.1:1/r.git'"
expect_exit 1 validate --repo "http://127.0.0.1:1/r.git?access_token=$SECRET" --cache-dir "$T/c-bad"
assert_contains "$ERR" "'http://127.0.0.1:1/r.git?***'"
expect_exit 1 validate --repo "deploy:$SECRET@127.0.0.1:r.git" --cache-dir "$T/c-bad"
assert_contains "$ERR" "***@127.0.0.1:r.git"

# --- --api-url with credentials or a query: refused, not echoed ------------
printf 'bot-token\n' >"$T/git-token"
for url in "http://127.0.0.1:1/client/v4?key=$SECRET" \
	"https://api.example.com/client/v4?access_token=$SECRET" \
	"http://user:$SECRET@127.0.0.1:1/client/v4" \
	"http://user:a@b/$SECRET@127.0.0.1:1/client/v4" \
	"ftp://127.0.0.1/x?k=$SECRET"; do
	expect_exit 1 plan --repo "$STUB_URL/r.git" --cache-dir "$T/c" \
		--git-token-file "$T/git-token" --api-url "$url"
	no_secret
done
MAILWARD_API_URL="http://127.0.0.1:1/client/v4?key=$SECRET" expect_exit 1 plan \
	--repo "$STUB_URL/r.git" --cache-dir "$T/c" --git-token-file "$T/git-token"
assert_contains "$ERR" "must not have a query"
assert_contains "$ERR" "http://127.0.0.1:1/client/v4?***"
no_secret

# --- --verbose, with credentials in --repo, and the plan's record ----------
expect_exit 2 plan --repo "http://bot:$SECRET@$HOSTPORT/r.git" --cache-dir "$T/c" --verbose \
	--out "$T/plan.json"
no_secret
assert_contains "$ERR" "mailward: http: GET "
assert_contains "$T/git.log" "Authorization: Basic $(printf 'bot:%s' "$SECRET" | base64 -w0)"
assert_not_contains "$T/plan.json" "$SECRET"
assert_eq "$(jget "$T/plan.json" .source.repo)" "http://***@$HOSTPORT/r.git" "source.repo"
expect_exit 2 plan --repo "$STUB_URL/r.git?access_token=$SECRET" --cache-dir "$T/c" --verbose \
	--git-token-file "$T/git-token" --format json
no_secret
assert_eq "$(jget "$OUT" .source.repo)" "$STUB_URL/r.git?***" "source.repo with a query"

# --- drift --notify to a URL with credentials and a query ------------------
expect_exit 1 drift --repo "$STUB_URL/r.git" --cache-dir "$T/c" --git-token-file "$T/git-token" \
	--notify "http://hook:$SECRET@127.0.0.1:1/services/$SECRET?key=$SECRET" --retries 0 --verbose
no_secret
assert_contains "$ERR" "127.0.0.1:1/..."
