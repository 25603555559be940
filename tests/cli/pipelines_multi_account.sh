#!/usr/bin/env bash
# The multi-account examples: the layout of examples/pipelines/multi-account
# (each account folder validates alone, with its own account_id and
# policies; the root does not), bin/mailward-drift-accounts over both
# accounts served by one sandbox (drift in one, a bad token in one, a URL
# repository, CLOUDFLARE_ACCOUNT_ID ignored), and the Kubernetes CronJobs:
# one per account folder, and each one's command run with its environment.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

MA=$PIPE/multi-account
K8S=$PIPE/kubernetes/mailward-drift-cronjobs.yaml
LABS_BETA=0a1b2c3d-0005-4000-8000-00000000d002

# --- the layout ---------------------------------------------------------
find "$MA" -name '*.yaml' -print0 | xargs -0 "$YAML_CHECK" >"$OUT" 2>&1 ||
	fail "a multi-account document does not parse: $(cat "$OUT")"
mkdir -p "$T/seed"
cp -R "$MA/accounts" "$T/seed/"
make_repo "$T/seed"
ORIGIN=$T/origin.git
git clone -q --bare "$T/seed" "$ORIGIN"
cd "$T/seed"
ACCOUNTS=$(cd "$MA/accounts" && ls)
assert_eq "$(echo $ACCOUNTS)" "acme-corp acme-labs" "account folders"
ids=
for a in $ACCOUNTS; do
	[ -d "$MA/accounts/$a/policies" ] || fail "$a has no policies/"
	expect_exit 0 validate --path "accounts/$a"
	id=$(sed -n 's/^account_id: *\([0-9a-f]\{32\}\).*/\1/p' "$MA/accounts/$a/account.yaml")
	[ -n "$id" ] || fail "$a/account.yaml names no account"
	assert_contains "$ERR" "1 policy, account $id"
	ids="$ids $id"
done
assert_eq "$(echo $ids)" "$ACCOUNT $OTHER_ACCOUNT" "one account each"
# All accounts at once is not a thing: --path selects one.
expect_exit 1 validate --path accounts
assert_contains "$ERR" "disagrees with"
# The shipped live state knows both accounts.
assert_eq "$(jget -n "$MA/live-state.json" .accounts)" 2 "accounts in live-state.json"

# --- mailward-drift-accounts --------------------------------------------
sandbox_start "$MA/live-state.json"
sink_start
export MAILWARD_NOTIFY_URL=$SINK_URL/hooks/accounts
export CLOUDFLARE_ACCOUNT_ID=$ACCOUNT # ignored by the driver: each account from its documents
expect_script 2 mailward-drift-accounts
assert_contains "$ERR" "mailward-drift: in sync in accounts/acme-corp"
assert_contains "$ERR" "mailward-drift: drift found in accounts/acme-labs (notified)"
assert_contains "$ERR" "mailward-drift-accounts: in sync: acme-corp; drift: acme-labs; failed: none"
assert_contains "$OUT" 'folder: git "Inbox", live "AllItems"'
assert_eq "$(wc -l <"$SINK_OUT")" 1 "one notification, for acme-labs"
assert_eq "$(jget -l "$SINK_OUT" '[0].account_id')" "$OTHER_ACCOUNT" "the drifted account"
# -q: only the drifted account's report.
expect_script 2 mailward-drift-accounts -q
assert_not_contains "$OUT" "$ACCOUNT"
assert_contains "$OUT" "$OTHER_ACCOUNT"

# One token per account: a refused one fails that account only.
mkdir -p "$T/tokens"
echo "$TOKEN" >"$T/tokens/acme-labs"
echo "not-the-token" >"$T/tokens/acme-corp"
(
	unset CLOUDFLARE_API_TOKEN
	MAILWARD_TOKEN_DIR=$T/tokens expect_script 1 mailward-drift-accounts
	assert_contains "$ERR" "in sync: none; drift: acme-labs; failed: acme-corp"
	echo "$TOKEN" >"$T/tokens/acme-corp"
	MAILWARD_TOKEN_DIR=$T/tokens expect_script 2 mailward-drift-accounts
)

# A URL repository: the accounts must be named.
cd "$T"
MAILWARD_REPO=file://$ORIGIN expect_script 1 mailward-drift-accounts
assert_contains "$ERR" "list the accounts in MAILWARD_ACCOUNTS"
MAILWARD_REPO=file://$ORIGIN MAILWARD_ACCOUNTS="acme-labs" MAILWARD_CACHE_DIR=$T/cache \
	expect_script 2 mailward-drift-accounts
assert_contains "$ERR" "in sync: none; drift: acme-labs; failed: none"
MAILWARD_REPO=$T/seed MAILWARD_ACCOUNTS_DIR=nope expect_script 1 mailward-drift-accounts
assert_contains "$ERR" "no account folders under 'nope'"

# Live fixed: all in sync.
api PATCH "/accounts/$OTHER_ACCOUNT/email-security/settings/domains/$LABS_BETA" \
	-d '{"folder": "Inbox"}' >/dev/null
MAILWARD_REPO=$T/seed expect_script 0 mailward-drift-accounts
assert_contains "$ERR" "in sync: acme-corp acme-labs; drift: none; failed: none"
api PATCH "/accounts/$OTHER_ACCOUNT/email-security/settings/domains/$LABS_BETA" \
	-d '{"folder": "AllItems"}' >/dev/null
unset CLOUDFLARE_ACCOUNT_ID

# --- Kubernetes: one CronJob per account --------------------------------
"$YAML_CHECK" "$K8S" >"$OUT" 2>&1 || fail "the CronJobs do not parse: $(cat "$OUT")"
# Split the documents; each is one account's CronJob.
mkdir -p "$T/k8s"
awk -v dir="$T/k8s" 'BEGIN { f = dir "/0.yaml" } /^---$/ { f = dir "/" ++n ".yaml"; next }
	{ print > f }' "$K8S"
assert_eq "$(find "$T/k8s" -name '*.yaml' | wc -l)" "$(echo $ACCOUNTS | wc -w)" "one CronJob per account"
env_value() { # env_value FILE NAME: the value of the container's env NAME
	sed -n "s/^ *- {name: $2, value: \"\{0,1\}\([^\"}]*\)\"\{0,1\}}\$/\1/p" "$1"
}
seen=
for doc in "$T"/k8s/*.yaml; do
	for want in "kind: CronJob" "concurrencyPolicy: Forbid" "restartPolicy: Never" \
		"onExitCodes: {containerName: drift, operator: In, values: [2]}" "runAsNonRoot: true" \
		"readOnlyRootFilesystem: true" "automountServiceAccountToken: false" \
		"mountPath: /secrets, readOnly: true" "emptyDir:" "command: [mailward-drift]"; do
		assert_contains "$doc" "$want"
	done
	path=$(env_value "$doc" MAILWARD_PATH)
	account=${path#accounts/}
	[ -d "$MA/$path" ] || fail "$doc checks $path: no such account folder"
	assert_contains "$doc" "name: mailward-drift-$account"
	assert_eq "$(env_value "$doc" MAILWARD_TOKEN_FILE)" "/secrets/$account" "$account's token"
	assert_contains "$doc" "- {key: $account, path: $account}"
	assert_eq "$(env_value "$doc" MAILWARD_CACHE_DIR)" /cache "cache on the emptyDir"
	assert_contains "$doc" "- {name: cache, mountPath: /cache}"
	seen="$seen $account"
	# Run the container's command with its environment: /secrets and /cache
	# are folders here, and the repository is this test's.
	mkdir -p "$T/pod-$account/secrets" "$T/pod-$account/cache"
	echo "$TOKEN" >"$T/pod-$account/secrets/$account"
	echo "$SINK_URL/hooks/k8s" >"$T/pod-$account/secrets/notify-url"
	envs=()
	for name in $(sed -n 's/^ *- {name: \([A-Z_]*\), value: .*/\1/p' "$doc"); do
		value=$(env_value "$doc" "$name")
		case $name in
		MAILWARD_REPO) value=file://$ORIGIN ;;
		MAILWARD_GIT_TOKEN_FILE) continue ;; # a file:// repository takes none
		esac
		value=${value/#\/secrets/$T/pod-$account/secrets}
		value=${value/#\/cache/$T/pod-$account/cache}
		envs+=("$name=$value")
	done
	: >"$SINK_OUT"
	set +e
	env -i "${KEEP_ENV[@]}" HOME="$HOME" PATH="$T/path:$BIN:/usr/bin:/bin" MAILWARD_API_URL="$MAILWARD_API_URL" \
		"${envs[@]}" mailward-drift >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
	if [ "$account" = acme-labs ]; then
		[ "$RC" = 2 ] || fail "the acme-labs job exited $RC, expected 2"
		assert_eq "$(wc -l <"$SINK_OUT")" 1 "acme-labs notified"
	else
		[ "$RC" = 0 ] || fail "the $account job exited $RC, expected 0"
		[ ! -s "$SINK_OUT" ] || fail "$account notified while in sync"
	fi
	[ -n "$(ls "$T/pod-$account/cache/repos")" ] || fail "$account: nothing cloned into /cache"
done
assert_eq "$(echo $seen)" "$(echo $ACCOUNTS)" "every account has its CronJob"

# A private https repository: the git token's file goes to mailward as
# --git-token-file (its path, never the token), the branch is named.
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$T/args"
chmod +x "$T/args"
echo "glpat-secret" >"$T/git-token"
MAILWARD=$T/args MAILWARD_REPO=https://git.example.com/mail/email.git \
	MAILWARD_GIT_TOKEN_FILE=$T/git-token "$BIN/mailward-drift" >"$OUT" 2>"$ERR"
assert_eq "$(grep -A1 -- --repo "$OUT" | tail -n 1)" \
	"https://git.example.com/mail/email.git" "the URL, without credentials"
assert_eq "$(grep -A1 -- --git-token-file "$OUT" | tail -n 1)" "$T/git-token" "the token's file"
assert_not_contains "$OUT" "glpat-secret"
assert_eq "$(grep -A1 -- --ref "$OUT" | tail -n 1)" main "a URL repository's branch"

assert_not_contains "$SINK_LOG" "$TOKEN"
assert_all_valid
echo ok
