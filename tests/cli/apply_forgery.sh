#!/usr/bin/env bash
# A saved plan is verified, not trusted: each forgery an attacker who can
# replace the plan artifact could try, with the digest recomputed
# (plan-reseal), is refused with nothing sent. apply rebuilds the plan from
# the commit and the live state now and accepts only the changes the commit
# implies; the folder, prune and the policies are the run's, never the plan's.
. "$(dirname "$0")/lib.sh"
: "${PLAN_RESEAL:?PLAN_RESEAL must name the plan-reseal helper}"

gen_state 6 >"$T/state.json"
sandbox_start "$T/state.json"

nothing_sent() {
	assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 0/0 "PATCH/DELETE sent: $1"
}

# forge IN OUT JQ...: OUT is IN edited by jq and resealed.
forge() {
	local in=$1 out=$2
	shift 2
	jq "$@" "$in" >"$out" || fail "jq failed on $in"
	"$PLAN_RESEAL" "$out" || fail "plan-reseal failed on $out"
}

# refused CODE WHAT TEXT PLAN [APPLY FLAGS...]: apply PLAN exits CODE naming
# TEXT, and nothing is sent.
refused() {
	local code=$1 what=$2 text=$3
	shift 3
	reset_stats
	expect_exit "$code" apply "$@"
	assert_contains "$ERR" "$text"
	nothing_sent "$what"
}

# change PLAN DOMAIN: the change object of DOMAIN in PLAN.
change() {
	jq -c --arg d "$2" '.changes[] | select(.domain == $d)' "$1"
}

R=$T/repo
mkdir -p "$R/desired" "$R/strict/policies"
# The first commit declares d3 absent; the next one brings it back.
cat >"$R/desired/d.yaml" <<YAML
account_id: $ACCOUNT
domains:
  d1.example.com: {lookback_hops: 3}
  d3.example.com: {absent: true}
YAML
printf 'account_id: %s\ndomains:\n  d1.example.com: {lookback_hops: 3}\n' "$ACCOUNT" >"$R/strict/d.yaml"
printf 'name: strict\nrules:\n  - require:\n      domains: ["*"]\n      settings: {lookback_hops: {max: 2}}\n' \
	>"$R/strict/policies/p.yaml"
make_repo "$R"
cd "$R"
expect_exit 2 plan --path desired --out "$T/old.json"
cat >"$R/desired/d.yaml" <<YAML
account_id: $ACCOUNT
domains:
  d1.example.com: {lookback_hops: 3}
  d2.example.com: {lookback_hops: 3}
  d3.example.com: {}
  d4.example.com: {}
YAML
commit "$R" "d3 stays; d2 gets 3 hops"
expect_exit 2 plan --path desired --out "$T/plan.json"
assert_eq "$(jget "$T/plan.json" .summary)" '{"update":2,"delete":0,"missing":0,"noop":2,"unmanaged":2}' \
	"the genuine plan"
expect_exit 2 plan --path desired --prune --out "$T/prune.json"
expect_exit 3 plan --path strict --out "$T/denied.json"

# The attacker's branch, never merged: what it implies is not what main does.
git checkout -q -b evil
cat >"$R/desired/d.yaml" <<YAML
account_id: $ACCOUNT
domains:
  d1.example.com: {lookback_hops: 3, ip_restrictions: ["0.0.0.0/0"]}
  d2.example.com: {lookback_hops: 3}
  d3.example.com: {absent: true}
  d4.example.com: {ip_restrictions: ["0.0.0.0/0"]}
YAML
commit "$R" "evil"
expect_exit 2 plan --path desired --out "$T/evil.json"
evil_commit=$(git rev-parse HEAD)
git checkout -q main

# 1. A changed body: d1's PATCH opens the IP restrictions.
forge "$T/plan.json" "$T/f-body.json" --argjson c "$(change "$T/evil.json" d1.example.com)" \
	'.changes |= map(if .domain == "d1.example.com" then $c else . end)'
refused 4 "changed body" "another PATCH body" "$T/f-body.json" --path desired
assert_contains "$ERR" "d1.example.com"

# 2. An added change: d4, declared in sync, gets an update.
forge "$T/plan.json" "$T/f-added.json" --argjson c "$(change "$T/evil.json" d4.example.com)" \
	'.changes += [$c] | .summary.update += 1 | .summary.noop -= 1'
refused 4 "added change" "does not imply it" "$T/f-added.json" --path desired
assert_contains "$ERR" "d4.example.com"

# 3. A delete of a domain git declares.
forge "$T/plan.json" "$T/f-delete.json" --argjson c "$(change "$T/evil.json" d3.example.com)" \
	'.changes += [$c] | .summary.delete += 1 | .summary.noop -= 1'
refused 4 "delete of a declared domain" "delete d3.example.com" "$T/f-delete.json" --path desired

# 4. The same change twice.
forge "$T/plan.json" "$T/f-twice.json" '.changes += [.changes[0]] | .summary.update += 1'
refused 4 "a change listed twice" "twice" "$T/f-twice.json" --path desired

# 5. Stripped violations: the policies of the commit judge it again.
assert_eq "$(jget -n "$T/denied.json" .policy.violations)" 1 "the denied plan's violations"
forge "$T/denied.json" "$T/f-stripped.json" '.policy.violations = []'
refused 3 "stripped violations" "lookback_hops would be 3; must be at most 2" \
	"$T/f-stripped.json" --path strict

# 6. A changed source.path, to a folder without policies: the run's --path
# decides, and a plan that names another is refused before anything is read.
forge "$T/denied.json" "$T/f-path.json" '.policy.violations = [] | .source.path = "desired"'
refused 4 "changed source.path" "made from folder 'desired', but this run reads 'strict'" \
	"$T/f-path.json" --path strict
assert_eq "$(stats .requests.total)" 0 "requests for a plan of another folder"

# 7. A commit that was never merged: the evil plan itself, and the genuine
# plan pointed at the evil commit.
refused 1 "unmerged commit" "main" "$T/evil.json" --path desired --require-ancestor main
forge "$T/plan.json" "$T/f-commit.json" --arg c "$evil_commit" '.source.commit = $c'
refused 1 "source.commit not an ancestor" "main" "$T/f-commit.json" --path desired \
	--require-ancestor main
# Without --require-ancestor, the evil commit's documents are not HEAD's.
refused 4 "source.commit of another branch" "differ from those at the plan's commit" \
	"$T/f-commit.json" --path desired

# 8. A replay: a genuine plan of an older commit (d3 was absent then).
refused 4 "old commit replayed" "differ from those at the plan's commit" "$T/old.json" \
	--path desired --require-ancestor main

# 9. Prune: the run's choice, never the plan's.
refused 4 "prune plan without --prune" "made with prune" "$T/prune.json" --path desired
forge "$T/plan.json" "$T/f-prune.json" --slurpfile p "$T/prune.json" \
	'.prune = true | .changes += [$p[0].changes[] | select(.action == "delete")] |
	 .summary.delete = ([.changes[] | select(.action == "delete")] | length) |
	 .unmanaged = [] | .summary.unmanaged = 0'
refused 4 "forged prune" "made with prune" "$T/f-prune.json" --path desired

# 10. Tampered, not resealed: refused without printing the digest that matches.
jq '.changes[0].body.lookback_hops = 4 | .changes[0].diff[0].after = 4' "$T/plan.json" \
	>"$T/f-digest.json"
refused 1 "wrong digest" "does not match its digest" "$T/f-digest.json" --path desired
assert_not_contains "$ERR" "sha256:"

# Outside the repository, the message says where to run apply.
(cd "$T" && expect_exit 1 apply "$T/plan.json" --path desired)
assert_contains "$ERR" "run apply in a checkout of the repository it was planned from, or give --repo"
assert_not_contains "$ERR" "--worktree"

# The genuine plan goes through, and sends exactly its two PATCHes.
reset_stats
expect_exit 0 apply "$T/plan.json" --path desired --require-ancestor main
assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 2/0 "the genuine plan's requests"
# A genuine prune plan applies with --prune (its updates are done: stale now).
expect_exit 2 plan --path desired --prune --out "$T/prune2.json"
reset_stats
expect_exit 0 apply "$T/prune2.json" --path desired --prune
assert_eq "$(stats .requests.delete)" 2 "the prune plan's deletes"
assert_all_valid
echo ok
