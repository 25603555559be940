#!/usr/bin/env bash
# Git credentials stay with their host (issue 7). A --repo on 127.0.0.1 that
# redirects to 127.0.0.2 (another host on this machine) must not get the
# token of MAILWARD_GIT_TOKEN, of --git-token-file or of the URL's userinfo
# sent there; the same token does reach the --repo's own host. Plain http
# to a host that is not loopback is refused before any connection.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_lib.sh"

SECRET=git-secret-$RANDOM$RANDOM
bare_repo r

# 127.0.0.2: the other host. It wants credentials, serves the repository
# once it gets them, and logs every Authorization header it receives.
: >"$T/other.log"
stub_start other 127.0.0.2 --git-root "$T/root" --require-auth --log "$T/other.log"
OTHER=$STUB_URL
# 127.0.0.1: the --repo's host, which redirects everything to the other one.
stub_start redirector 127.0.0.1 --redirect-to "$OTHER" --log "$T/redirector.log"
REDIRECTOR=$STUB_URL
# 127.0.0.1 again: the --repo's own host serving the repository itself.
: >"$T/own.log"
stub_start own 127.0.0.1 --git-root "$T/root" --require-auth --log "$T/own.log"
OWN=$STUB_URL

printf '%s\n' "$SECRET" >"$T/git-token"
BASIC=$(printf 'x-access-token:%s' "$SECRET" | base64 -w0)

assert_no_secret_anywhere() {
	assert_not_contains "$OUT" "$SECRET"
	assert_not_contains "$ERR" "$SECRET"
	assert_not_contains "$T/other.log" "Authorization: Basic"
	assert_not_contains "$T/other.log" "$BASIC"
}

# The token goes to the repository's own host, and works there.
MAILWARD_GIT_TOKEN=$SECRET expect_exit 0 validate --repo "$OWN/r.git" --cache-dir "$T/c-own1"
assert_contains "$T/own.log" "Authorization: Basic $BASIC"
: >"$T/own.log"
expect_exit 0 validate --repo "$OWN/r.git" --cache-dir "$T/c-own2" --git-token-file "$T/git-token"
assert_contains "$T/own.log" "Authorization: Basic $BASIC"
assert_not_contains "$OUT" "$SECRET"
assert_not_contains "$ERR" "$SECRET"
# Userinfo in the URL, percent-encoded '@' and all.
: >"$T/own.log"
expect_exit 0 validate --repo "http://bot:pw%40$SECRET@${OWN#http://}/r.git" --cache-dir "$T/c-own3"
assert_contains "$T/own.log" "Authorization: Basic $(printf 'bot:pw@%s' "$SECRET" | base64 -w0)"
assert_not_contains "$ERR" "$SECRET"
# The flag wins over the environment.
: >"$T/own.log"
MAILWARD_GIT_TOKEN=wrong-token expect_exit 0 validate --repo "$OWN/r.git" --cache-dir "$T/c-own4" \
	--git-token-file "$T/git-token"
assert_contains "$T/own.log" "Authorization: Basic $BASIC"

# Without credentials the redirect is followed (127.0.0.2 answers on this
# machine), and the other host's request for credentials is turned down.
expect_exit 1 validate --repo "$REDIRECTOR/r.git" --cache-dir "$T/c0"
assert_contains "$T/other.log" "GET /r.git/info/refs"
assert_contains "$ERR" "127.0.0.2"
assert_no_secret_anywhere

# With credentials from each place: nothing reaches the other host.
MAILWARD_GIT_TOKEN=$SECRET expect_exit 1 validate --repo "$REDIRECTOR/r.git" --cache-dir "$T/c1"
assert_no_secret_anywhere
expect_exit 1 validate --repo "$REDIRECTOR/r.git" --cache-dir "$T/c2" --git-token-file "$T/git-token"
assert_no_secret_anywhere
expect_exit 1 validate --repo "http://bot:$SECRET@${REDIRECTOR#http://}/r.git" --cache-dir "$T/c3"
assert_no_secret_anywhere
assert_not_contains "$T/other.log" "$(printf 'bot:%s' "$SECRET" | base64 -w0)"
# The commands that read a repository all take --git-token-file.
for cmd in plan apply drift; do
	MAILWARD_GIT_TOKEN=$SECRET expect_exit 1 "$cmd" --repo "$REDIRECTOR/r.git" --cache-dir "$T/c4" \
		--git-token-file "$T/git-token" --account-id "$ACCOUNT"
	assert_no_secret_anywhere
done
# Nothing was ever cloned from the redirect.
[ ! -e "$T/c1/repos" ] || [ -z "$(ls -A "$T/c1/repos")" ] || fail "a clone was left in $T/c1"

# Plain http to a host that is not loopback: refused before any connection
# (10.255.255.1 would not answer: a connection attempt would take seconds).
start=$(now)
MAILWARD_GIT_TOKEN=$SECRET expect_exit 1 plan --repo "http://10.255.255.1/r.git" --cache-dir "$T/c5" \
	--account-id "$ACCOUNT" --timeout 20
assert_faster "$start" 10 "refusing plain http"
assert_contains "$ERR" "plain http"
assert_no_secret_anywhere
[ ! -e "$T/c5" ] || fail "the cache was touched for a refused URL"
expect_exit 1 validate --repo "http://user:$SECRET@git.example.com/r.git" --cache-dir "$T/c5"
assert_contains "$ERR" "plain http"
assert_contains "$ERR" "http://***@git.example.com/r.git"
assert_not_contains "$ERR" "$SECRET"

# A --git-token-file that is not there names the flag, never a token.
expect_exit 1 validate --repo "$OWN/r.git" --cache-dir "$T/c6" --git-token-file "$T/missing"
assert_contains "$ERR" "--git-token-file"
