#!/usr/bin/env bash
# The JSON Schemas shipped under schema/ are what `mailward schema` prints
# now: a change to the schema table (src/core/fields.c) or to the policy rules
# (src/core/policy.c) that is not regenerated fails here.
#   check_current.sh MAILWARD SCHEMA_DIR
set -euo pipefail
mailward=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
check() {
	local file=$1
	shift
	timeout 30 "$mailward" schema "$@" >"$tmp/now.json"
	if ! diff -u "$dir/$file" "$tmp/now.json"; then
		echo "schema/$file is not what 'mailward schema $*' prints now; regenerate it:"
		echo "  mailward schema $* > schema/$file"
		status=1
	fi
}
check desired-state.schema.json
check policy.schema.json --policy
[ "$status" -eq 0 ] && echo "ok: schema/ is current"
exit "$status"
