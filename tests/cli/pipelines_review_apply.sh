#!/usr/bin/env bash
# The examples' review-then-apply flow, CI-agnostic, against the sandbox:
# bin/mailward-pr-plan on pull-request branches (changes, no changes, a
# policy denial, a broken document), a merge, bin/mailward-apply of the
# reviewed plan with --require-ancestor origin/main and the audit log, and
# every refusal: stale live state, main changed since the review, a commit
# never merged, a squash merge; a partial failure (exit 5).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

export MAILWARD_PATH=desired
sandbox_start "$EXAMPLES/live-state.json"
# The missing domain would keep every plan at exit 2: not onboarded yet.
mkdir -p "$T/seed/desired"
cp -R "$EXAMPLES/desired/." "$T/seed/desired/"
sed -i '/shop.example.com/,+2d' "$T/seed/desired/domains/example-com.yaml"
ORIGIN=$T/origin.git
make_repo "$T/seed"
git clone -q --bare "$T/seed" "$ORIGIN"

# ci_checkout DIR REF: a CI job's full clone of origin at REF.
ci_checkout() {
	cd "$T"
	rm -rf "$1"
	git clone -q "$ORIGIN" "$1"
	git -C "$1" -c advice.detachedHead=false checkout -q "$2"
}
# pr BRANCH MESSAGE: commit what is in $T/dev on a new BRANCH from origin/main, push it.
pr_start() {
	rm -rf "${T:?}/dev"
	git clone -q "$ORIGIN" "$T/dev"
	git -C "$T/dev" checkout -q -b "$1"
}
pr_push() {
	commit "$T/dev" "$1"
	git -C "$T/dev" push -q origin HEAD
}
live_hops() {
	api GET "/accounts/$ACCOUNT/email-security/settings/domains/$1" >"$T/live.json"
	jget "$T/live.json" .result.lookback_hops
}
NET=b7e2d1c0-5a4f-4e3d-9c2b-1a0f9e8d7c6b # example.net in live-state.json

# Main is applied once, so that every plan below is the pull request's own.
expect_exit 0 apply --auto-approve --repo "$T/seed" --path desired
ci_checkout "$T/ci" main
cd "$T/ci"
expect_script 0 mailward-pr-plan
assert_contains plan.md "### mailward plan: no changes"
assert_contains "$ERR" "mailward-pr-plan: no changes"

# --- a pull request with a change: exit 0, plan.md and plan.json --------
pr_start pr1
sed -i 's/lookback_hops: 4/lookback_hops: 5/' "$T/dev/desired/domains/example-net.yaml"
pr_push "example.net: 5 hops"
PR1=$(git -C "$T/dev" rev-parse HEAD)
ci_checkout "$T/ci" "$PR1"
cd "$T/ci"
expect_script 0 mailward-pr-plan
assert_contains "$ERR" "changes to review in ./plan.md"
assert_contains plan.md "### mailward plan: 1 to update, 0 to delete, 0 missing"
assert_contains plan.md "<code>example.net</code>"
assert_eq "$(jget plan.json .source.commit)" "$PR1" "the plan's commit is the PR's head"
assert_eq "$(jget plan.json .source.path)" desired "source.path"
assert_eq "$(jget plan.json .summary.update)" 1 "summary.update"
cp plan.json "$T/pr1-plan.json" # the artifact
# MAILWARD_OUT_DIR and extra options reach mailward plan.
MAILWARD_OUT_DIR=$T/outdir expect_script 0 mailward-pr-plan --prune
assert_eq "$(jget "$T/outdir/plan.json" .prune)" true "--prune passed through"
[ -f "$T/outdir/plan.md" ] || fail "no plan.md in MAILWARD_OUT_DIR"

# --- a policy denial: exit 3, and still both files for the comment ------
pr_start pr-deny
sed -i 's/lookback_hops: 4/lookback_hops: 5/' "$T/dev/desired/domains/example-net.yaml"
cat >"$T/dev/desired/policies/strict.yaml" <<'EOF'
name: strict
rules:
  - require:
      settings:
        lookback_hops: {max: 4}
EOF
pr_push "too many hops"
ci_checkout "$T/ci" "$(git -C "$T/dev" rev-parse HEAD)"
cd "$T/ci"
expect_script 3 mailward-pr-plan
assert_contains plan.md "denied by policy"
assert_contains plan.md "policy 'strict'"
assert_contains plan.md "A policy denies this plan: it will not be applied after merge."
assert_eq "$(jget -n plan.json .policy.violations)" 1 "violations saved in plan.json"
assert_contains "$ERR" "mailward-pr-plan: a policy denies the plan"

# --- a broken document: exit 1, plan.md says where ----------------------
pr_start pr-bad
sed -i 's/lookback_hops: 4/lookback_hop: 4/' "$T/dev/desired/domains/example-net.yaml"
pr_push "typo"
ci_checkout "$T/ci" "$(git -C "$T/dev" rev-parse HEAD)"
cd "$T/ci"
expect_script 1 mailward-pr-plan
assert_contains plan.md "### mailward plan failed"
assert_contains plan.md "domains/example-net.yaml:13:5: unknown setting 'lookback_hop' (did you mean 'lookback_hops'?)"
[ ! -e plan.json ] || fail "a failed plan left plan.json"
[ ! -e plan.err ] || fail "plan.err left behind"

# --- merge, then apply the reviewed plan --------------------------------
merge_pr pr1
ci_checkout "$T/ci-main" main
cd "$T/ci-main"
reset_stats
MAILWARD_ACTOR=octocat expect_script 0 mailward-apply "$T/pr1-plan.json"
assert_contains "$OUT" "✓ updated example.net"
assert_contains "$ERR" "mailward-apply: applied"
assert_eq "$(live_hops "$NET")" 5 "example.net applied"
assert_eq "$(stats .requests.patch)" 1 "one PATCH"
assert_eq "$(wc -l <audit.jsonl)" 3 "audit lines"
[ "$(stat -c %a audit.jsonl)" = 600 ] || fail "audit log mode"
assert_eq "$(jget -l audit.jsonl '[0].actor')" octocat "actor"
assert_eq "$(jget -l audit.jsonl '[0].commit')" "$PR1" "audit commit is the reviewed one"
assert_eq "$(jget -l audit.jsonl '[2].outcome')" applied "outcome"
# Main now plans no changes.
expect_script 0 mailward-pr-plan
assert_contains plan.md "no changes"

# The same plan again: stale (live changed: it was applied), nothing sent.
reset_stats
expect_script 4 mailward-apply "$T/pr1-plan.json"
assert_contains "$ERR" "the plan is stale"
assert_contains "$ERR" "Plan again, review that plan, and apply it."
assert_eq "$(stats .requests.patch)" 0 "stale: no PATCH"

# --- a dashboard change between review and merge: stale -----------------
pr_start pr2
sed -i 's/lookback_hops: 5/lookback_hops: 3/' "$T/dev/desired/domains/example-net.yaml"
pr_push "example.net: 3 hops"
ci_checkout "$T/ci" "$(git -C "$T/dev" rev-parse HEAD)"
(cd "$T/ci" && expect_script 0 mailward-pr-plan)
cp "$T/ci/plan.json" "$T/pr2-plan.json"
api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/$NET" \
	-d '{"lookback_hops": 6}' >/dev/null
merge_pr pr2
ci_checkout "$T/ci-main" main
cd "$T/ci-main"
reset_stats
expect_script 4 mailward-apply "$T/pr2-plan.json"
assert_eq "$(stats .requests.patch)" 0 "stale: no PATCH"
assert_eq "$(live_hops "$NET")" 6 "the dashboard change is kept"
# Re-plan main (workflow_dispatch / "Run pipeline"), review, apply that.
expect_script 0 mailward-pr-plan
assert_contains plan.md "1 to update"
cp plan.json "$T/main-plan.json"
expect_script 0 mailward-apply "$T/main-plan.json"
assert_eq "$(live_hops "$NET")" 3 "main applied"
assert_eq "$(wc -l <audit.jsonl)" 3 "this checkout's audit log"

# --- a plan whose commit was never merged -------------------------------
pr_start pr-never
sed -i 's/lookback_hops: 3/lookback_hops: 2/' "$T/dev/desired/domains/example-net.yaml"
pr_push "never merged"
ci_checkout "$T/ci" "$(git -C "$T/dev" rev-parse HEAD)"
(cd "$T/ci" && expect_script 0 mailward-pr-plan)
ci_checkout "$T/ci-main" main
cd "$T/ci-main"
reset_stats
expect_script 1 mailward-apply "$T/ci/plan.json"
assert_contains "$ERR" "is not in the history of origin/main"
assert_eq "$(stats .requests.total)" 0 "refused before any request"

# --- main changed between review and merge: refused as not main's -------
pr_start pr3
sed -i 's/lookback_hops: 3/lookback_hops: 4/' "$T/dev/desired/domains/example-net.yaml"
pr_push "example.net: 4 hops"
ci_checkout "$T/ci" "$(git -C "$T/dev" rev-parse HEAD)"
(cd "$T/ci" && expect_script 0 mailward-pr-plan)
cp "$T/ci/plan.json" "$T/pr3-plan.json"
pr_start pr4 # another change, merged first, from the same main
sed -i 's/lookback_hops: 2$/lookback_hops: 1/' "$T/dev/desired/domains/example-com.yaml"
pr_push "example.com: 1 hop"
merge_pr pr4
merge_pr pr3
ci_checkout "$T/ci-main" main
cd "$T/ci-main"
reset_stats
expect_script 4 mailward-apply "$T/pr3-plan.json"
assert_contains "$ERR" "differs from the reviewed commit"
assert_eq "$(stats .requests.total)" 0 "refused before any request"
# The remedy: plan main, review, apply that (both changes).
expect_script 0 mailward-pr-plan
assert_contains plan.md "3 to update"
cp plan.json "$T/main-plan.json"
expect_script 0 mailward-apply "$T/main-plan.json"
assert_eq "$(live_hops "$NET")" 4 "pr3 applied"
# MAILWARD_CHECK_TREE=0 skips the comparison (mailward's own checks stay).
MAILWARD_CHECK_TREE=0 expect_script 4 mailward-apply "$T/pr3-plan.json"
assert_not_contains "$ERR" "differs from the reviewed commit"
assert_contains "$ERR" "the plan is stale"

# --- a squash merge: the reviewed commit is not in main's history -------
pr_start pr5
sed -i 's/lookback_hops: 4/lookback_hops: 3/' "$T/dev/desired/domains/example-net.yaml"
pr_push "example.net: 3 hops again"
ci_checkout "$T/ci" "$(git -C "$T/dev" rev-parse HEAD)"
(cd "$T/ci" && expect_script 0 mailward-pr-plan)
rm -rf "$T/merger"
git clone -q "$ORIGIN" "$T/merger"
git -C "$T/merger" merge -q --squash origin/pr5 >/dev/null
commit "$T/merger" "example.net: 3 hops again (#5)"
git -C "$T/merger" push -q origin main
ci_checkout "$T/ci-main" main
cd "$T/ci-main"
expect_script 1 mailward-apply "$T/ci/plan.json"
assert_contains "$ERR" "squash/rebase-merged"

# --- a partial failure: exit 5, the audit log names it ------------------
# The sandbox comes back on the same port (the plan names the API URL)
# with the state it had, and refuses every PATCH of example.net.
expect_script 0 mailward-pr-plan
assert_contains plan.md "1 to update"
cp plan.json "$T/main-plan.json"
port=${MAILWARD_API_URL##*:}
port=${port%%/*}
api GET "/accounts/$ACCOUNT/email-security/settings/domains?per_page=1000" >"$T/list.json"
printf '{"accounts": {"%s": %s}}\n' "$ACCOUNT" "$(jget "$T/list.json" .result)" >"$T/state2.json"
sandbox_restart "$T/state2.json" --listen "127.0.0.1:$port" \
	--fault "op=patch,path=$NET,action=status,status=500,count=0"
[ "${MAILWARD_API_URL##*:}" = "$port/client/v4" ] || fail "the sandbox moved"
expect_script 5 mailward-apply "$T/main-plan.json" --retries 0
assert_contains "$ERR" "some operations failed"
assert_contains "$OUT" "✗ update example.net"
assert_eq "$(jget -l audit.jsonl '[-1].outcome')" failed "failure audited"

for f in "$OUT" "$ERR" "$T"/ci*/plan.md "$T"/*.json "$T"/ci*/audit.jsonl; do
	[ -f "$f" ] && assert_not_contains "$f" "$TOKEN"
done
assert_all_valid
echo ok
