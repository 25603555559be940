#!/usr/bin/env bash
# The demo account: plan shows updates, a delete and a missing domain;
# --out saves a plan that show renders in every format; exit codes 2 and 0.
. "$(dirname "$0")/lib.sh"

sandbox_start "$EXAMPLES/live-state.json"
demo_repo

expect_exit 2 plan --out "$T/plan.json"
assert_contains "$OUT" "~ update example.com"
assert_contains "$OUT" "lookback_hops: 1 → 2"
assert_contains "$OUT" "- delete legacy.example.org"
assert_contains "$OUT" "! missing shop.example.com"
assert_contains "$OUT" "? partner.example.org"
assert_contains "$OUT" "Plan: 3 to update, 1 to delete, 1 missing, 3 unchanged, 2 unmanaged."
assert_contains "$ERR" "listed 9 live domains in 1 request"

# The saved plan is the contract's plan file.
assert_eq "$(jget "$T/plan.json" .format_version)" 1 "format_version"
assert_eq "$(jget "$T/plan.json" .account_id)" "$ACCOUNT" "account_id"
assert_eq "$(jget "$T/plan.json" .api_url)" "$MAILWARD_API_URL" "api_url"
assert_eq "$(jget "$T/plan.json" .source.commit)" "$(git rev-parse HEAD)" "source.commit"
assert_eq "$(jget "$T/plan.json" .source.ref)" HEAD "source.ref"
assert_eq "$(jget "$T/plan.json" .summary)" \
	'{"update":3,"delete":1,"missing":1,"noop":3,"unmanaged":2}' "summary"
assert_eq "$(jget "$T/plan.json" .changes[1].domain)" example.com "changes sorted by domain"
assert_eq "$(jget "$T/plan.json" .changes[1].body)" \
	'{"drop_dispositions":["MALICIOUS","MALICIOUS-BEC","SPOOF"],"lookback_hops":2}' "minimal body"
jget "$T/plan.json" .digest | grep -q '^sha256:[0-9a-f]\{64\}$' || fail "digest"

# show renders the saved plan, text, json and markdown.
expect_exit 0 show "$T/plan.json"
assert_contains "$OUT" "Plan: 3 to update, 1 to delete, 1 missing"
expect_exit 0 show "$T/plan.json" --format json
cmp -s "$OUT" "$T/plan.json" || fail "show --format json differs from the plan file"
expect_exit 0 show "$T/plan.json" --format markdown
assert_contains "$OUT" "### mailward plan: 3 to update, 1 to delete, 1 missing"
assert_contains "$OUT" "<details><summary><b>update</b> <code>example.com</code>"

# plan --format json prints the same plan as --out writes.
expect_exit 2 plan --format json --out "$T/plan2.json"
cmp -s "$OUT" "$T/plan2.json" || fail "plan --format json differs from --out"

# Colour only on a terminal: never in a pipe.
if grep -q $'\033' "$OUT"; then fail "colour in a pipe"; fi

# Usage errors: exit 1, one line, a pointer to --help.
expect_exit 1 plan --no-such-flag
assert_contains "$ERR" "unknown option '--no-such-flag'"
assert_contains "$ERR" "mailward plan --help"
expect_exit 1 plan --format yaml
expect_exit 1 show
expect_exit 1 show "$T/nope.json"
assert_contains "$ERR" "nope.json"

assert_all_valid
[ "$(stats .requests.patch)" = 0 ] || fail "plan sent a PATCH"
[ "$(stats .requests.delete)" = 0 ] || fail "plan sent a DELETE"
echo ok
