#!/usr/bin/env bash
# apply refuses, and sends no PATCH or DELETE, when: the plan was tampered
# with (1), it targets another account or API (4), live state changed since
# it was made (4), there is no plan file and no approval (1), a policy denies
# it, then or now (3), or its commit is not merged (--require-ancestor, 1).
. "$(dirname "$0")/lib.sh"

gen_state 6 >"$T/state.json"
sandbox_start "$T/state.json"
D1=00000001-0000-4000-8000-000000000001
D2=00000002-0000-4000-8000-000000000002
D3=00000003-0000-4000-8000-000000000003
DOMAINS=/accounts/$ACCOUNT/email-security/settings/domains

# nothing_sent WHAT: no PATCH and no DELETE since the last reset_stats.
nothing_sent() {
	assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 0/0 "PATCH/DELETE sent: $1"
}

# desired/: d1 and d2 get lookback_hops 3, d3 is absent (a delete).
R=$T/repo
mkdir -p "$R/desired"
cat >"$R/desired/d.yaml" <<YAML
account_id: $ACCOUNT
domains:
  d1.example.com: {lookback_hops: 3}
  d2.example.com: {lookback_hops: 3}
  d3.example.com: {absent: true}
YAML
make_repo "$R"
cd "$R"
expect_exit 2 plan --path desired --out "$T/plan.json"
assert_eq "$(jget "$T/plan.json" .summary)" '{"update":2,"delete":1,"missing":0,"noop":0,"unmanaged":3}' \
	"the plan"

# --- a tampered plan: exit 1, nothing sent ------------------------------------
cp "$T/plan.json" "$T/tampered.json"
# The first body's value: one byte, 3 -> 4.
line=$(grep -n '"body": {' "$T/tampered.json" | head -n 1 | cut -d: -f1)
sed -i "$((line + 1))s/\"lookback_hops\": 3/\"lookback_hops\": 4/" "$T/tampered.json"
[ "$(cmp -l "$T/plan.json" "$T/tampered.json" | wc -l)" = 1 ] || fail "the tamper did not change one byte"
reset_stats
expect_exit 1 apply "$T/tampered.json" --path desired
assert_contains "$ERR" "digest"
nothing_sent "tampered plan"
assert_eq "$(stats .requests.total)" 0 "requests sent for a tampered plan"
# Another field, another byte: the account.
sed "s/\"account_id\": \"$ACCOUNT\"/\"account_id\": \"$OTHER_ACCOUNT\"/" "$T/plan.json" >"$T/tampered2.json"
expect_exit 1 apply "$T/tampered2.json" --path desired
assert_contains "$ERR" "digest"
# A digest edited to match nothing; a file that is not a plan.
digest=$(jget "$T/plan.json" .digest)
case ${digest:7:1} in 0) other=1 ;; *) other=0 ;; esac
sed "s/\"digest\": \"sha256:./\"digest\": \"sha256:$other/" "$T/plan.json" >"$T/tampered3.json"
[ "$(cmp -l "$T/plan.json" "$T/tampered3.json" | wc -l)" = 1 ] || fail "the digest was not changed"
expect_exit 1 apply "$T/tampered3.json" --path desired
assert_contains "$ERR" "digest"
head -c 300 "$T/plan.json" >"$T/truncated.json"
expect_exit 1 apply "$T/truncated.json" --path desired
assert_contains "$ERR" "truncated.json"
nothing_sent "broken plans"
assert_eq "$(stats .requests.total)" 0 "requests sent for broken plans"

# --- another account, another API URL: exit 4, nothing sent ---------------------
# (A repository whose documents name no account, so that the flag is not a
# mismatch with the documents.)
N=$T/noacct
mkdir -p "$N"
grep -v '^account_id' "$R/desired/d.yaml" >"$N/d.yaml"
make_repo "$N"
expect_exit 2 plan --repo "$N" --account-id "$ACCOUNT" --out "$T/noacct-plan.json"
reset_stats
expect_exit 4 apply "$T/noacct-plan.json" --repo "$N" --account-id "$OTHER_ACCOUNT"
assert_contains "$ERR" "$ACCOUNT"
assert_contains "$ERR" "$OTHER_ACCOUNT"
CLOUDFLARE_ACCOUNT_ID=$OTHER_ACCOUNT expect_exit 4 apply "$T/noacct-plan.json" --repo "$N"
# Documents for our account and a flag for another: refused as a mismatch.
mw apply "$T/plan.json" --path desired --account-id "$OTHER_ACCOUNT"
[ "$RC" = 1 ] || [ "$RC" = 4 ] || fail "apply for another account exited $RC"
nothing_sent "plan for another account"
expect_exit 4 apply "$T/plan.json" --path desired --api-url http://127.0.0.1:1/client/v4
assert_contains "$ERR" "http://127.0.0.1:1/client/v4"
PORT=${SANDBOX_BASE##*:}
expect_exit 4 apply "$T/plan.json" --path desired --api-url "http://localhost:$PORT/client/v4"
MAILWARD_API_URL=http://127.0.0.1:1/client/v4 expect_exit 4 apply "$T/plan.json" --path desired
nothing_sent "plan for another API"
assert_eq "$(stats .requests.total)" 0 "requests sent for a plan for another account or API"

# --- stale: live changed since the plan ---------------------------------------
# The live state is listed again and the plan rebuilt from its commit.
printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 3}\n' "$ACCOUNT" >"$R/one.yaml"
mkdir -p "$R/one" && mv "$R/one.yaml" "$R/one/d.yaml"
commit "$R" "one change"
expect_exit 2 plan --path one --out "$T/one.json"
api PATCH "$DOMAINS/$D1" -d '{"lookback_hops": 5}' >/dev/null
reset_stats
expect_exit 4 apply "$T/one.json" --path one
assert_contains "$ERR" "stale"
assert_contains "$ERR" "d1.example.com"
nothing_sent "stale plan of one domain"
# A field the documents do not manage counts too: the fingerprint covers every writable field.
api PATCH "$DOMAINS/$D1" -d '{"lookback_hops": 2}' >/dev/null
expect_exit 2 plan --path desired --out "$T/plan.json"
api PATCH "$DOMAINS/$D2" -d '{"transport": "smtp-changed"}' >/dev/null
reset_stats
expect_exit 4 apply "$T/plan.json" --path desired
assert_contains "$ERR" "d2.example.com"
assert_not_contains "$ERR" "d1.example.com"
nothing_sent "stale plan (unmanaged field changed)"
# A domain deleted since the plan.
expect_exit 2 plan --path desired --out "$T/plan.json"
api DELETE "$DOMAINS/$D3" >/dev/null
reset_stats
expect_exit 4 apply "$T/plan.json" --path desired
assert_contains "$ERR" "d3.example.com"
nothing_sent "stale plan (domain deleted)"
# Live state that cannot be listed again (a short page, then a 500): nothing
# is sent either. (The plan is made first: a new sandbox is a new API URL.)
sandbox_restart "$T/state.json" --fault op=list,action=short,after=1,count=0
expect_exit 2 plan --path desired --out "$T/plan.json"
reset_stats
expect_exit 1 apply "$T/plan.json" --path desired
assert_contains "$ERR" "inconsistent"
nothing_sent "plan whose live state cannot be listed"
sandbox_restart "$T/state.json" --fault op=list,action=status,status=500,after=1,count=0
expect_exit 2 plan --path one --out "$T/one.json"
reset_stats
expect_exit 1 apply "$T/one.json" --path one --retries 1
assert_contains "$ERR" "HTTP 500"
nothing_sent "plan whose live state cannot be read"
# Restore the starting state for what follows.
sandbox_restart "$T/state.json"

# --- plan and apply without a plan file --------------------------------------
reset_stats
mw apply --path desired </dev/null
assert_eq "$RC" 1 "apply without a plan file, approval or terminal"
assert_contains "$ERR" "--auto-approve"
nothing_sent "apply without approval"
# 'yes' on a pipe is not a terminal's answer.
printf "yes\nyes\n" >"$T/yes"
mw apply --path desired <"$T/yes"
assert_eq "$RC" 1 "apply with 'yes' on a pipe"
nothing_sent "apply with 'yes' piped"
expect_exit 0 apply --path desired --auto-approve </dev/null
assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 2/1 "PATCH/DELETE of an approved apply"
assert_contains "$OUT" "Apply: 2 updated, 1 deleted, 0 already gone, 0 failed, 0 not sent"
expect_exit 0 plan --path desired
sandbox_restart "$T/state.json"

# --- policies ---------------------------------------------------------------
# A plan denied when made: exit 3, saved with its violations; apply refuses.
mkdir -p "$R/deny/policies"
cp "$R/desired/d.yaml" "$R/deny/d.yaml"
printf 'name: no-deletes\nrules:\n  - max_deletes: 0\n' >"$R/deny/policies/p.yaml"
commit "$R" "deny"
expect_exit 3 plan --path deny --out "$T/denied.json"
assert_contains "$OUT" "no-deletes"
assert_eq "$(jget -n "$T/denied.json" .policy.violations)" 1 "violations saved in the plan"
jget "$T/denied.json" .policy.violations[0] | grep -q max_deletes || fail "the violation names no rule"
reset_stats
expect_exit 3 apply "$T/denied.json" --path deny
nothing_sent "denied plan"
expect_exit 4 apply "$T/denied.json" --path desired
assert_contains "$ERR" "made from folder 'deny'"
nothing_sent "plan denied when made, applied with another --path"
expect_exit 3 apply --path deny --auto-approve
nothing_sent "denied plan-and-apply"

# A plan that passed, and a stricter policy committed since: the documents
# at HEAD are not the plan's, so apply refuses it as stale; applied at its own
# commit (--ref), the policies of that commit judge it; a plan of the new
# commit is denied.
expect_exit 2 plan --path desired --out "$T/passed.json"
passed_commit=$(jget "$T/passed.json" .source.commit)
mkdir -p "$R/desired/policies"
printf 'name: stricter\nrules:\n  - max_deletes: 0\n' >"$R/desired/policies/p.yaml"
commit "$R" "stricter policy"
reset_stats
expect_exit 4 apply "$T/passed.json" --path desired
assert_contains "$ERR" "differ from those at the plan's commit"
assert_contains "$ERR" "desired/policies/p.yaml"
nothing_sent "plan made before a policy was committed"
expect_exit 3 plan --path desired --out "$T/denied-now.json"
expect_exit 3 apply "$T/denied-now.json" --path desired
assert_contains "$ERR" "max_deletes"
nothing_sent "plan denied by a policy committed since"
[ -n "$passed_commit" ] || fail "the plan records no commit"
# The same through --policy.
printf 'name: tls\nrules:\n  - require:\n      domains: ["*"]\n      settings: {lookback_hops: {max: 2}}\n' \
	>"$T/extra-policy.yaml"
git -C "$R" rm -q -r desired/policies
commit "$R" "drop the stricter policy"
expect_exit 3 apply "$T/passed.json" --path desired --policy "$T/extra-policy.yaml"
nothing_sent "plan denied by --policy"

# --- --require-ancestor -----------------------------------------------------
git checkout -q -b feature
printf 'account_id: %s\ndomains:\n  d4.example.com: {lookback_hops: 3}\n' "$ACCOUNT" >"$R/one/d.yaml"
commit "$R" "feature: d4"
expect_exit 2 plan --path one --out "$T/feature.json"
git checkout -q main
reset_stats
expect_exit 1 apply "$T/feature.json" --path one --require-ancestor main
assert_contains "$ERR" "main"
nothing_sent "plan of an unmerged commit"
expect_exit 2 plan --path one --worktree --out "$T/worktree.json"
expect_exit 1 apply "$T/worktree.json" --path one --require-ancestor main
assert_contains "$ERR" "no commit"
nothing_sent "plan of a working tree"
# Made on main, it passes.
expect_exit 2 plan --path one --out "$T/main.json"
# (The same API URL with a trailing slash is the same API.)
expect_exit 0 apply "$T/main.json" --path one --require-ancestor main --api-url "$MAILWARD_API_URL/"
assert_eq "$(stats .requests.patch)" 1 "PATCH of a plan made on main"

assert_all_valid

# 'apply PLANFILE' reads the folder this run names (--path, default the
# repository root), never the one the plan names: a plan made with --path
# is refused without it; with it, the documents at HEAD (a policy committed
# since) are not the plan's: refused as stale.
sandbox_restart "$T/state.json"
expect_exit 2 plan --path desired --out "$T/passed2.json"
mkdir -p "$R/desired/policies"
printf 'name: stricter\nrules:\n  - max_deletes: 0\n' >"$R/desired/policies/p.yaml"
commit "$R" "stricter policy again"
reset_stats
expect_exit 4 apply "$T/passed2.json"
assert_contains "$ERR" "made from folder 'desired', but this run reads '.'"
expect_exit 4 apply "$T/passed2.json" --path desired
assert_contains "$ERR" "differ from those at the plan's commit"
nothing_sent "plan made with --path, applied without it or after a change"
echo ok
