#!/usr/bin/env bash
# The built-in safety threshold (no policy of one's own: more than 30% of 10
# or more live domains changed, a prune that empties the account or comes
# from a desired state that declares nothing) and --force; --domain
# targeting on plan, apply and drift, recorded in the plan and verified.
. "$(dirname "$0")/lib.sh"

gen_state 10 >"$T/state.json"
sandbox_start "$T/state.json"
R=$T/repo
mkdir -p "$R/d" "$R/empty"
touch "$R/empty/.keep"

# --- the built-in threshold -------------------------------------------------
gen_desired 10 4 >"$R/d/d.yaml"
make_repo "$R"
cd "$R"
expect_exit 3 plan --path d
assert_contains "$OUT" "built-in safety"
assert_contains "$OUT" "the plan changes 4 of 10 live domains (40.0%), more than 30%"
expect_exit 3 plan --path d --format json
assert_eq "$(jget "$OUT" '.policy.violations[0].policy')" "built-in safety" "finding's policy"
expect_exit 3 plan --path d --format markdown
assert_contains "$OUT" "built-in safety"
expect_exit 3 apply --path d --auto-approve
assert_eq "$(stats .requests.patch)" 0 "PATCH sent past the built-in threshold"
# 30% is not more than 30%.
gen_desired 10 3 >"$R/d/d.yaml"
commit "$R" "three"
expect_exit 2 plan --path d
assert_not_contains "$OUT" "built-in safety"
# --force lifts it, and a policy's own threshold replaces it.
gen_desired 10 4 >"$R/d/d.yaml"
commit "$R" "four"
expect_exit 2 plan --path d --force
expect_exit 2 plan --path d --force --out "$T/forced.json"
mkdir -p "$R/d/policies"
printf 'rules:\n  - max_changed_percent: 50\n' >"$R/d/policies/p.yaml"
commit "$R" "own threshold"
expect_exit 2 plan --path d
# --force never lifts a policy.
printf 'rules:\n  - max_changed_percent: 50\n  - protect: ["d10.example.com"]\n' >"$R/d/policies/p.yaml"
sed -i 's/  d10.example.com: .*/  d10.example.com: {absent: true}/' "$R/d/d.yaml"
commit "$R" "protect d10, delete it"
expect_exit 3 plan --path d --force
assert_contains "$OUT" "protected domain 'd10.example.com'"
git -C "$R" rm -q -r d/policies
gen_desired 10 4 >"$R/d/d.yaml"
commit "$R" "four again"

# A prune from an empty folder, with the working tree: denied; a prune that
# deletes every live domain: denied, even under a generous threshold.
export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT
expect_exit 3 plan --worktree --path empty --prune
assert_contains "$OUT" "the desired state declares no domain, and --prune deletes 10 live domains"
expect_exit 3 apply --worktree --path empty --prune --auto-approve
unset CLOUDFLARE_ACCOUNT_ID
assert_eq "$(stats .requests.delete)" 0 "DELETE sent by an empty prune"
mkdir -p "$R/gone/policies"
printf 'account_id: %s\ndomains:\n' "$ACCOUNT" >"$R/gone/d.yaml"
for i in $(seq 1 10); do printf '  d%d.example.com: {absent: true}\n' "$i" >>"$R/gone/d.yaml"; done
commit "$R" "everything absent"
expect_exit 3 plan --path gone --prune
assert_contains "$OUT" "the plan deletes every live domain of the account (10) with --prune"

# --- --domain ---------------------------------------------------------------
expect_exit 2 plan --path d --domain 'D1.example.com' --domain 'd2.*' --out "$T/two.json"
assert_eq "$(jget "$T/two.json" .summary)" '{"update":2,"delete":0,"missing":0,"noop":0,"unmanaged":0}' \
	"the targeted plan"
assert_eq "$(jget "$T/two.json" .targets)" '["d1.example.com","d2.*"]' "recorded targets"
# The threshold counts the account: 2 of 10 is fine.
reset_stats
expect_exit 1 apply "$T/two.json" --path d --domain 'd3.*'
assert_contains "$ERR" "--domain does not apply to a saved plan"
assert_eq "$(stats .requests.total)" 0 "requests for a saved plan with --domain"
expect_exit 0 apply "$T/two.json" --path d
assert_eq "$(stats .requests.patch)" 2 "PATCH of the targeted plan"
# drift sees the rest; targeted, only what matches.
expect_exit 2 drift --path d --domain 'd3.example.com'
assert_contains "$OUT" "d3.example.com"
assert_not_contains "$OUT" "d4.example.com"
expect_exit 0 drift --path d --domain 'd1.*' --domain 'd2.*'
# A prune reaches only matching unmanaged domains.
expect_exit 0 plan --path d --prune --domain 'd5.*' --domain 'other.*' --format json
assert_eq "$(jget "$OUT" .summary.delete)" 0 "prune of a declared, targeted domain"
printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 3}\n' "$ACCOUNT" >"$R/d/d.yaml"
commit "$R" "only d1"
expect_exit 2 plan --path d --prune --domain 'd9.*' --format json
assert_eq "$(jget "$OUT" '.changes[0].domain')/$(jget "$OUT" .summary.delete)" "d9.example.com/1" \
	"targeted prune"
assert_all_valid
echo ok
