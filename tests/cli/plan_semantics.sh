#!/usr/bin/env bash
# What plan makes of desired vs live, through the real binary: updates with
# minimal bodies, sets compared as sets, names case-insensitively, absent,
# missing, unmanaged and --prune, two live domains of one name, markdown of
# a huge plan, and --format json equal to --out.
. "$(dirname "$0")/lib.sh"

A1=aaaaaaaa-0000-4000-8000-000000000001
B1=bbbbbbbb-0000-4000-8000-000000000002
C1=cccccccc-0000-4000-8000-000000000003
O1=dddddddd-0000-4000-8000-000000000004
E1=eeeeeeee-0000-4000-8000-000000000001
E2=eeeeeeee-0000-4000-8000-000000000002
S1=ffffffff-0000-4000-8000-000000000006
cat >"$T/state.json" <<JSON
{"accounts": {"$ACCOUNT": [
 {"id": "$A1", "domain": "alpha.example.com", "allowed_delivery_modes": ["BCC", "DIRECT", "BCC"],
  "ip_restrictions": ["2001:DB8::/32", "192.0.2.0/24"],
  "integration_id": "6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10", "folder": "Inbox",
  "lookback_hops": 2, "drop_dispositions": ["SPOOF", "MALICIOUS"], "transport": "smtp"},
 {"id": "$B1", "domain": "Beta.Example.COM", "lookback_hops": 2, "folder": "Inbox"},
 {"id": "$C1", "domain": "gamma.example.com", "lookback_hops": 2, "folder": "Inbox",
  "drop_dispositions": ["MALICIOUS", "SPOOF"], "regions": ["GLOBAL"], "require_tls_inbound": false},
 {"id": "$O1", "domain": "old.example.com", "lookback_hops": 2},
 {"id": "$E1", "domain": "dup.example.com", "lookback_hops": 2},
 {"id": "$E2", "domain": "dup.example.com", "lookback_hops": 4},
 {"id": "$S1", "domain": "stray.example.com", "lookback_hops": 2}
]}}
JSON
sandbox_start "$T/state.json"

R=$T/repo
mkdir -p "$R/all" "$R/only" "$R/miss"
# all/: every kind of finding.
cat >"$R/all/domains.yaml" <<YAML
account_id: $ACCOUNT
domains:
  # Sets: order and repeats do not count; addresses by value; ids case-insensitively.
  alpha.example.com:
    allowed_delivery_modes: [DIRECT, BCC, DIRECT]
    ip_restrictions: ["192.0.2.0/24", "2001:0db8::/32"]
    integration_id: 6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10
    drop_dispositions: [MALICIOUS, SPOOF, MALICIOUS]
    lookback_hops: 2
  # The name compares case-insensitively, without a trailing dot.
  beta.example.com.:
    lookback_hops: 2
  # null is a value; only differing fields are sent, arrays in full.
  gamma.example.com:
    folder: null
    drop_dispositions: [MALICIOUS]
    regions: [GLOBAL]
    lookback_hops: 2
    require_tls_inbound: true
  old.example.com:
    absent: true
  gone.example.com:
    absent: true
  new.example.com:
    lookback_hops: 2
YAML
# only/: no differences, unmanaged domains only.
printf 'account_id: %s\ndomains:\n  alpha.example.com: {lookback_hops: 2}\n  beta.example.com: {}\n' \
	"$ACCOUNT" >"$R/only/d.yaml"
# miss/: one domain not live.
printf 'account_id: %s\ndomains:\n  alpha.example.com: {lookback_hops: 2}\n  new.example.com: {}\n' \
	"$ACCOUNT" >"$R/miss/d.yaml"
make_repo "$R"
cd "$R"

# --- every kind of finding ------------------------------------------------
expect_exit 2 plan --path all --out "$T/all.json"
P=$T/all.json
assert_eq "$(jget "$P" .summary)" '{"update":1,"delete":1,"missing":1,"noop":3,"unmanaged":3}' "summary"
assert_eq "$(jget -n "$P" .changes)" 3 "changes listed (noop is counted, not listed)"
assert_eq "$(jget "$P" .changes[0].action)/$(jget "$P" .changes[0].domain)/$(jget "$P" .changes[0].id)" \
	"update/gamma.example.com/$C1" "first change"
assert_eq "$(jget "$P" .changes[0].body)" \
	'{"drop_dispositions":["MALICIOUS"],"folder":null,"require_tls_inbound":true}' "minimal body"
assert_eq "$(jget "$P" .changes[1].action)/$(jget "$P" .changes[1].domain)/$(jget "$P" .changes[1].id)" \
	"missing/new.example.com/null" "missing change"
assert_eq "$(jget "$P" .changes[2].action)/$(jget "$P" .changes[2].domain)/$(jget "$P" .changes[2].id)" \
	"delete/old.example.com/$O1" "delete change"
assert_eq "$(jget "$P" .changes[2].reason)" absent "reason of the delete"
assert_eq "$(jget "$P" .unmanaged)" \
	"[{\"domain\":\"dup.example.com\",\"id\":\"$E1\"},{\"domain\":\"dup.example.com\",\"id\":\"$E2\"},{\"domain\":\"stray.example.com\",\"id\":\"$S1\"}]" \
	"unmanaged domains"
assert_contains "$OUT" "~ update gamma.example.com"
assert_contains "$OUT" "- delete old.example.com"
assert_contains "$OUT" "! missing new.example.com"
assert_contains "$OUT" "? stray.example.com"
assert_not_contains "$OUT" "alpha.example.com"
assert_not_contains "$OUT" "gone.example.com"

# --format json is the --out file, byte for byte (made at the same second).
export SOURCE_DATE_EPOCH=1795000000
expect_exit 2 plan --path all --format json --out "$T/all2.json"
cmp -s "$OUT" "$T/all2.json" || fail "plan --format json differs from --out"
expect_exit 2 plan --path all --format json --prune --out "$T/prune2.json"
cmp -s "$OUT" "$T/prune2.json" || fail "plan --prune --format json differs from --out"
expect_exit 0 show "$T/all2.json" --format json
cmp -s "$OUT" "$T/all2.json" || fail "show --format json differs from the plan file"
unset SOURCE_DATE_EPOCH

# --- --prune: unmanaged becomes delete -----------------------------------------
expect_exit 2 plan --path all --prune --out "$T/prune.json"
P=$T/prune.json
assert_eq "$(jget "$P" .summary)" '{"update":1,"delete":4,"missing":1,"noop":3,"unmanaged":0}' \
	"summary with --prune"
assert_eq "$(jget "$P" .prune)" true "prune recorded"
assert_eq "$(jget "$P" .unmanaged)" '[]' "unmanaged with --prune"
for i in 0 1 2 3 4 5; do
	printf '%s %s %s %s\n' "$(jget "$P" ".changes[$i].action")" "$(jget "$P" ".changes[$i].domain")" \
		"$(jget "$P" ".changes[$i].id")" "$(jget "$P" ".changes[$i].reason" || true)"
done >"$T/prune.txt"
cat >"$T/prune.want" <<EOF
delete dup.example.com $E1 prune
delete dup.example.com $E2 prune
update gamma.example.com $C1 
missing new.example.com null 
delete old.example.com $O1 absent
delete stray.example.com $S1 prune
EOF
cmp -s "$T/prune.txt" "$T/prune.want" || { diff "$T/prune.want" "$T/prune.txt" >&2; fail "--prune plan"; }

# --- unmanaged only: exit 0; a missing domain alone: exit 2 -------------------
expect_exit 0 plan --path only --format json
assert_eq "$(jget "$OUT" .summary)" '{"update":0,"delete":0,"missing":0,"noop":2,"unmanaged":5}' \
	"unmanaged only"
expect_exit 0 plan --path only
assert_contains "$OUT" "? stray.example.com"
expect_exit 2 plan --path miss --format json
assert_eq "$(jget "$OUT" .summary)" '{"update":0,"delete":0,"missing":1,"noop":1,"unmanaged":6}' \
	"missing only"
# apply has nothing to send for a missing domain.
reset_stats
expect_exit 0 apply --path miss --auto-approve
assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 0/0 "requests sent for a missing domain"

# --- two live domains with one name -------------------------------------------
mkdir -p "$R/dup"
printf 'account_id: %s\ndomains:\n  dup.example.com:\n    lookback_hops: 3\n' "$ACCOUNT" >"$R/dup/d.yaml"
commit "$R" "dup"
reset_stats
expect_exit 1 plan --path dup --out "$T/dup.json"
assert_contains "$ERR" "dup.example.com"
assert_contains "$ERR" "$E1"
assert_contains "$ERR" "$E2"
assert_contains "$ERR" "dup/d.yaml:3:3"
assert_contains "$ERR" "id:"
[ ! -e "$T/dup.json" ] || fail "a plan was saved despite an ambiguous name"
expect_exit 1 apply --path dup --auto-approve
assert_eq "$(stats .requests.patch)/$(stats .requests.delete)" 0/0 "requests sent for an ambiguous name"
# Pinned by id (in upper case): planned, and the other one is unmanaged.
printf 'account_id: %s\ndomains:\n  dup.example.com:\n    id: %s\n    lookback_hops: 3\n' \
	"$ACCOUNT" "${E2^^}" >"$R/dup/d.yaml"
commit "$R" "pin dup"
expect_exit 2 plan --path dup --format json
assert_eq "$(jget "$OUT" .summary)" '{"update":1,"delete":0,"missing":0,"noop":0,"unmanaged":6}' \
	"pinned plan"
assert_eq "$(jget "$OUT" .changes[0].id)" "$E2" "pinned id"
assert_eq "$(jget "$OUT" .changes[0].body)" '{"lookback_hops":3}' "pinned body"
assert_contains "$OUT" "$E1"
# A pin to the id of another domain never updates that other domain.
printf 'account_id: %s\ndomains:\n  dup.example.com:\n    id: %s\n    lookback_hops: 3\n' \
	"$ACCOUNT" "$S1" >"$R/dup/d.yaml"
commit "$R" "pin to the wrong id"
mw plan --path dup --format json
[ "$RC" = 1 ] || [ "$RC" = 2 ] || fail "plan with a pin to another domain exited $RC"
if [ "$RC" = 2 ]; then
	assert_eq "$(jget "$OUT" .summary.update)" 0 "update through a pin to another domain's id"
fi

# --- markdown of 3,000 changed domains ------------------------------------------
gen_state 3000 >"$T/big.json"
sandbox_restart "$T/big.json"
mkdir -p "$T/big"
gen_desired 3000 3000 >"$T/big/d.yaml"
make_repo "$T/big"
expect_exit 2 plan --repo "$T/big" --format markdown --out "$T/big-plan.json" --force
md_bytes=$(wc -c <"$OUT")
[ "$md_bytes" -lt 65000 ] || fail "markdown of 3,000 changes is $md_bytes bytes"
assert_contains "$OUT" "shortened"
assert_contains "$OUT" "3000 to update"
assert_eq "$(grep -c '<details' "$OUT")" "$(grep -c '</details>' "$OUT")" "<details> left open"
assert_eq "$(jget -n "$T/big-plan.json" .changes)" 3000 "changes in the saved plan"
expect_exit 0 show "$T/big-plan.json" --format markdown
[ "$(wc -c <"$OUT")" -lt 65000 ] || fail "show --format markdown of 3,000 changes is too long"
assert_contains "$OUT" "shortened"
# A small plan is not shortened.
expect_exit 0 show "$T/all.json" --format markdown
assert_not_contains "$OUT" "shortened"
assert_contains "$OUT" "gamma.example.com"

assert_all_valid
echo ok
