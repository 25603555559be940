#!/usr/bin/env bash
# validate: a valid repository passes with a summary; a repository with many
# problems across files and policies prints every one as FILE:LINE:COL and
# exits 1; --worktree reads uncommitted edits, the default (HEAD) does not.
# validate sends no request.
. "$(dirname "$0")/lib.sh"

# A sandbox, only to prove that validate never talks to the API.
gen_state 3 >"$T/state.json"
sandbox_start "$T/state.json"

# --- a valid repository: anchors, aliases, << merge keys, a policy -----------
V=$T/valid
mkdir -p "$V/domains" "$V/policies"
cat >"$V/domains/brand.yaml" <<YAML
account_id: $ACCOUNT
defaults:
  drop_dispositions: [MALICIOUS, MALICIOUS-BEC, SPOOF]
  require_tls_inbound: true
domains:
  example.com:
    allowed_delivery_modes: [DIRECT, BCC]
    lookback_hops: 2
    folder: null
  support.example.com: &support
    allowed_delivery_modes: [DIRECT]
    lookback_hops: 2
    regions: [GLOBAL]
  help.example.com:
    <<: *support
    lookback_hops: 3
  mail.example.com:
    id: 3fa85f64-5717-4562-b3fc-2c963f66afa6
    ip_restrictions: ["192.0.2.0/24", "2001:db8::/32"]
YAML
cat >"$V/domains/retired.yml" <<'YAML'
domains:
  old.example.com:
    absent: true
YAML
cat >"$V/policies/safety.yaml" <<'YAML'
name: safety
rules:
  - max_deletes: 1
  - protect: ["example.com"]
YAML
make_repo "$V"
cd "$V"
expect_exit 0 validate
assert_contains "$ERR" "valid: 5 domains in 2 files, 1 policy, account $ACCOUNT"
[ ! -s "$OUT" ] || fail "a valid repository printed problems on stdout"
expect_exit 0 validate --quiet
[ ! -s "$ERR" ] || fail "--quiet still printed the summary"
expect_exit 0 validate --path domains
assert_contains "$ERR" "valid: 5 domains in 2 files, 0 policies"
# The demo of the examples is valid too.
demo_repo
expect_exit 0 validate
assert_contains "$ERR" "valid: 8 domains in 3 files"

# A file holding only a comment is an empty document, not an error.
mkdir -p "$T/empty"
printf '# nothing here yet\n' >"$T/empty/empty.yaml"
make_repo "$T/empty"
expect_exit 0 validate --repo "$T/empty"
assert_contains "$ERR" "valid: 0 domains in 1 file, 0 policies"

# --- many problems in many files --------------------------------------------
R=$T/bad
mkdir -p "$R/policies" "$R/sub"
cat >"$R/a.yaml" <<'YAML'
account_id: 023e105f4ecef8ad9ca31a8372d0c353
domains:
  one.example.com:
    lookback_hop: 2
    status: active
    regions: [GLOBAL, MARS]
  two.example.com:
    lookback_hops: 25
    require_tls_inbound: yes
    require_tls_inbound: false
YAML
cat >"$R/sub/b.yml" <<'YAML'
domains:
  One.Example.com.:
    lookback_hops: 3
  three.example.com:
    folder: Junk
YAML
cat >"$R/c.yaml" <<'YAML'
domains:
  four.example.com: {lookback_hops: 2
  five.example.com:
YAML
# "Billion laughs": 9^9 strings from 28 written nodes.
cat >"$R/d.yaml" <<'YAML'
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
YAML
cat >"$R/e.yaml" <<'YAML'
account_id: 9a7806061c88ada191ed06f989cc3dac
domain:
  six.example.com: {lookback_hops: 2}
YAML
cat >"$R/policies/p.yaml" <<'YAML'
name: safety
rules:
  - max_delets: 1
  - max_changed_percent: 150
  - require:
      level: fatal
      settings:
        lookback_hops: {min: 5, max: 2}
YAML
make_repo "$R"
cd "$R"

expect_exit 1 validate
# Every problem, sorted by file, line and column; each names the place.
expected_lines=(
	"a.yaml:4:5: unknown setting 'lookback_hop' (did you mean 'lookback_hops'?)"
	"a.yaml:5:5: 'status' is read-only"
	"a.yaml:6:23: 'MARS' is not a valid value for regions"
	"a.yaml:8:20: lookback_hops must be from 1 to 20, not 25"
	"a.yaml:10:5: duplicate key 'require_tls_inbound' (first at line 9, column 5)"
	"c.yaml:3:19: invalid YAML: "
	"e.yaml:1:13: account_id '$OTHER_ACCOUNT' disagrees with '$ACCOUNT' given at a.yaml:1:13"
	"e.yaml:2:1: unknown top-level key 'domain' (did you mean 'domains'?)"
	"policies/p.yaml:3:5: unknown rule 'max_delets' (did you mean 'max_deletes'?)"
	"policies/p.yaml:4:26: 'max_changed_percent' takes a number from 0 to 100"
	"policies/p.yaml:6:14: 'level' takes deny or warn"
	"policies/p.yaml:8:24: 'min' is larger than 'max'"
	"sub/b.yml:2:3: domain 'one.example.com' is declared twice: here and at a.yaml:3:3"
	"sub/b.yml:5:13: 'Junk' is not a valid value for folder"
)
for l in "${expected_lines[@]}"; do
	grep -qF -- "$l" "$OUT" "$ERR" || fail "validate did not print: $l"
done
# The billion laughs: rejected at a place in d.yaml, not expanded.
grep -qE "^d\.yaml:[0-9]+:[0-9]+: .*expands through aliases.*billion laughs" "$ERR" ||
	fail "the billion laughs was not rejected with its place"
# Exactly one line per problem, each FILE:LINE:COL: message, in order.
problems=$(grep -cE '^[^ :]+\.ya?ml:[0-9]+:[0-9]+: ' "$ERR" || true)
assert_eq "$problems" 15 "problem lines"
grep -E '^[^ :]+\.ya?ml:[0-9]+:[0-9]+: ' "$ERR" | LC_ALL=C sort -t: -k1,1 -k2,2n -k3,3n -s | cmp -s - \
	<(grep -E '^[^ :]+\.ya?ml:[0-9]+:[0-9]+: ' "$ERR") || fail "problems are not sorted by place"
assert_contains "$ERR" "15 problems in the desired state and policies"
# An unknown key with nothing close gets no suggestion.
printf 'domains:\n  x.example.com:\n    frobnicate: 1\n' >"$R/f.yaml"
commit "$R" "frobnicate"
expect_exit 1 validate
assert_contains "$ERR" "f.yaml:3:5: unknown setting 'frobnicate'"
grep -F "f.yaml:3:5:" "$ERR" | grep -qv "did you mean" || fail "a suggestion for 'frobnicate'"

# --path narrows to a folder; the path printed is still the repository's.
expect_exit 1 validate --path sub
assert_contains "$ERR" "sub/b.yml:5:13: 'Junk' is not a valid value for folder"
assert_not_contains "$ERR" "a.yaml"
assert_not_contains "$ERR" "declared twice"

# A problem only in the policies still fails validate.
mkdir -p "$T/polonly/policies"
printf 'domains:\n  ok.example.com: {lookback_hops: 2}\n' >"$T/polonly/d.yaml"
printf 'name: p\nrules:\n  - protect: []\n' >"$T/polonly/policies/p.yml"
make_repo "$T/polonly"
expect_exit 1 validate --repo "$T/polonly"
assert_contains "$ERR" "policies/p.yml:3:"
assert_contains "$ERR" "'protect' takes a non-empty list"

# --- --worktree reads uncommitted edits; HEAD does not ------------------------
W=$T/wt
mkdir -p "$W"
printf 'account_id: %s\ndomains:\n  w.example.com:\n    lookback_hops: 2\n' "$ACCOUNT" >"$W/w.yaml"
make_repo "$W"
cd "$W"
sed -i 's/lookback_hops: 2/lookback_hops: 0/' w.yaml
printf 'domains:\n  new.example.com: {regions: [GLOBAL]}\n' >"$W/new.yaml"
expect_exit 0 validate
assert_contains "$ERR" "valid: 1 domain in 1 file"
expect_exit 1 validate --worktree
assert_contains "$ERR" "w.yaml:4:20: lookback_hops must be from 1 to 20, not 0"
sed -i 's/lookback_hops: 0/lookback_hops: 3/' w.yaml
expect_exit 0 validate --worktree
assert_contains "$ERR" "valid: 2 domains in 2 files"
# --worktree also works outside any repository.
mkdir -p "$T/plain"
cp "$W/w.yaml" "$T/plain/"
expect_exit 0 validate --worktree --repo "$T/plain"
assert_contains "$ERR" "valid: 1 domain in 1 file"

assert_eq "$(stats .requests.total)" 0 "requests sent by validate"
assert_all_valid
echo ok
