#!/usr/bin/env bash
# import_force: import --out FILE and --out DIR/ never overwrite an existing
# file without --force: exit 1, the file named, and nothing written at all
# (every target is checked before the first is written).
. "$(dirname "$0")/lib.sh"

export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT
gen_state 3 >"$T/state.json"
sandbox_start "$T/state.json"

expect_exit 0 import --out "$T/split/"
assert_eq "$(ls "$T/split" | tr '\n' ' ')" \
	"d1.example.com.yaml d2.example.com.yaml d3.example.com.yaml " "files written"

# An edit not applied yet, and a file removed: a second import writes nothing.
printf '# my edit\n' >>"$T/split/d2.example.com.yaml"
rm "$T/split/d3.example.com.yaml"
before=$(cat "$T/split"/* | sha256sum)
expect_exit 1 import --out "$T/split/"
assert_contains "$ERR" "'$T/split/d1.example.com.yaml' and 1 other file exist: nothing was written; give --force to replace them"
assert_eq "$(cat "$T/split"/* | sha256sum)" "$before" "files after a refused import"
[ ! -e "$T/split/d3.example.com.yaml" ] || fail "a refused import wrote a file"
# One file in the way, the last one: named alone, and the ones before it
# are not written either. A link counts as a file.
rm "$T/split"/*
ln -s "$T/nowhere" "$T/split/d3.example.com.yaml"
expect_exit 1 import --out "$T/split/"
assert_contains "$ERR" "'$T/split/d3.example.com.yaml' exists: nothing was written; give --force to replace it"
assert_eq "$(ls "$T/split")" d3.example.com.yaml "files after a refused import"
expect_exit 0 import --out "$T/split/" --force
assert_eq "$(ls "$T/split" | wc -l)" 3 "files after --force"
[ -L "$T/split/d3.example.com.yaml" ] && fail "--force kept the link"

# --out FILE.
printf 'mine\n' >"$T/all.yaml"
expect_exit 1 import --out "$T/all.yaml"
assert_contains "$ERR" "'$T/all.yaml' exists: nothing was written; give --force"
assert_eq "$(cat "$T/all.yaml")" mine "a file after a refused import"
expect_exit 0 import --out "$T/all.yaml" --force
assert_contains "$T/all.yaml" "d1.example.com:"
expect_exit 1 import --format state --out "$T/all.yaml"
assert_contains "$ERR" "exists: nothing was written"
assert_contains "$T/all.yaml" "d1.example.com:"
expect_exit 0 import --format state --out "$T/all.yaml" --force
assert_eq "$(jget "$T/all.yaml" ".accounts.${ACCOUNT}[0].domain")" d1.example.com "state copy"
# Standard output is never "existing".
expect_exit 0 import
assert_contains "$OUT" "d1.example.com:"
expect_exit 0 import --out -
assert_contains "$OUT" "d1.example.com:"
# --force belongs to import's --out here, to plan's threshold there: help says which.
expect_exit 0 import --help
assert_contains "$OUT" "let --out replace existing files"
