#!/usr/bin/env bash
# import writes YAML that, committed, plans to nothing: over live states
# holding nulls, empty arrays, every enum value, odd strings, address
# spellings, missing fields, values no document can hold, and two live
# domains of one name. Also --out DIR/, --domain and --format state.
. "$(dirname "$0")/lib.sh"

cat >"$T/state.json" <<JSON
{"accounts": {"$ACCOUNT": [
 {"id": "00000000-0000-4000-8000-000000000001", "domain": "all-values.example.com",
  "allowed_delivery_modes": ["DIRECT", "BCC", "JOURNAL", "API", "RETRO_SCAN"],
  "drop_dispositions": ["MALICIOUS", "MALICIOUS-BEC", "SUSPICIOUS", "SPOOF", "SPAM", "BULK",
                        "ENCRYPTED", "EXTERNAL", "UNKNOWN", "NONE"],
  "regions": ["GLOBAL", "AU", "DE", "IN", "US"], "folder": "AllItems",
  "integration_id": "6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10", "lookback_hops": 20,
  "require_tls_inbound": true, "require_tls_outbound": false, "transport": "smtp"},
 {"id": "00000000-0000-4000-8000-000000000002", "domain": "empties.example.com",
  "allowed_delivery_modes": [], "drop_dispositions": [], "regions": [], "ip_restrictions": [],
  "folder": null, "integration_id": null, "lookback_hops": 1, "transport": ""},
 {"id": "00000000-0000-4000-8000-000000000003", "domain": "strings.example.com",
  "folder": "Inbox", "transport": "true"},
 {"id": "00000000-0000-4000-8000-000000000004", "domain": "strings2.example.com",
  "transport": "smtp://relay.example.com:25, \"quoted\" 'single' #hash [x] {y} & *a !t |p >f %p @a \`b"},
 {"id": "00000000-0000-4000-8000-000000000005", "domain": "strings3.example.com",
  "transport": "  leading and trailing  "},
 {"id": "00000000-0000-4000-8000-000000000006", "domain": "strings4.example.com",
  "transport": "line one\nline two\ttab ünïcödé ✓"},
 {"id": "00000000-0000-4000-8000-000000000007", "domain": "numbers.example.com",
  "transport": "123", "lookback_hops": 7},
 {"id": "00000000-0000-4000-8000-000000000008", "domain": "nullish.example.com",
  "transport": "null"},
 {"id": "00000000-0000-4000-8000-000000000009", "domain": "cidrs.example.com",
  "ip_restrictions": ["2001:DB8::/32", "192.0.2.7", "::ffff:192.0.2.1/128", "10.0.0.0/8"]},
 {"id": "00000000-0000-4000-8000-00000000000a", "domain": "odd.example.com",
  "regions": ["GLOBAL", "EU"], "require_tls_inbound": null, "lookback_hops": 99,
  "drop_dispositions": ["MALICIOUS"]},
 {"id": "00000000-0000-4000-8000-00000000000b", "domain": "bare.example.com"},
 {"id": "00000000-0000-4000-8000-00000000000c", "domain": "Twice.Example.com."},
 {"id": "00000000-0000-4000-8000-00000000000d", "domain": "twice.example.com", "lookback_hops": 3}
]}}
JSON
sandbox_start "$T/state.json"
export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT

# One file: commit it, plan exits 0.
mkdir -p "$T/repo"
expect_exit 0 import --out "$T/repo/domains.yaml"
assert_contains "$ERR" "imported 12 domains"
assert_contains "$ERR" "regions left out (unmanaged)"
assert_contains "$ERR" "skipped live domain 00000000-0000-4000-8000-00000000000d"
assert_contains "$T/repo/domains.yaml" "# id 00000000-0000-4000-8000-000000000001"
assert_contains "$T/repo/domains.yaml" "id: 00000000-0000-4000-8000-00000000000c"
assert_contains "$T/repo/domains.yaml" "# regions left out (unmanaged)"
assert_not_contains "$T/repo/domains.yaml" "status"
make_repo "$T/repo"
cd "$T/repo"
expect_exit 0 validate
expect_exit 0 plan --format json
assert_eq "$(jget "$OUT" .summary.update)" 0 "updates after import"
assert_eq "$(jget "$OUT" .summary.noop)" 12 "domains in sync after import"
assert_eq "$(jget "$OUT" .summary.unmanaged)" 1 "the second twice.example.com"
expect_exit 0 drift

# The strings come back exactly: plan after a change to one of them
# shows the live value unchanged.
sed -i 's/^    transport: .*true.*$/    transport: "false"/' domains.yaml
commit . "change one string"
expect_exit 2 plan --format json
assert_eq "$(jget "$OUT" '.changes[0].diff[0].before')" "true" "transport before"
assert_eq "$(jget "$OUT" '.changes[0].diff[0].after')" "false" "transport after"

# One file per domain, and --domain.
expect_exit 0 import --out "$T/split/"
[ -f "$T/split/all-values.example.com.yaml" ] || fail "no file per domain"
assert_eq "$(ls "$T/split" | wc -l)" 12 "files in --out DIR/"
expect_exit 0 import --domain empties.example.com --domain CIDRS.example.com.
assert_contains "$OUT" "empties.example.com:"
assert_contains "$OUT" "cidrs.example.com:"
assert_not_contains "$OUT" "all-values.example.com"
expect_exit 1 import --domain nope.example.com
assert_contains "$ERR" "--domain 'nope.example.com': no live domain"

# --format state is the sandbox's --state format: a sandbox started from it
# serves the same account.
expect_exit 0 import --format state --out "$T/copy.json"
[ "$(stat -c %a "$T/copy.json")" = 600 ] || fail "state copy is not 0600"
assert_eq "$(jget -n "$T/copy.json" ".accounts.$ACCOUNT")" 13 "domains in the state copy"
jget "$T/copy.json" ".accounts.${ACCOUNT}[0].status" >/dev/null || fail "state lacks read-only fields"
sandbox_start "$T/copy.json"
git checkout -q HEAD~1
expect_exit 0 plan
expect_exit 1 import --format state --out "$T/dir/"
assert_all_valid
echo ok
