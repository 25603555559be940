#!/usr/bin/env bash
# The drift examples: bin/mailward-drift against the sandbox with --notify
# to webhook-sink (in sync, drift, -q, a failing webhook, the URL and the
# token from files, the repository cloned by URL into a cache and fetched
# again), then the crontab line and the systemd units as written: parsed,
# verified, and their commands run with their environment.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipelines_lib.sh"

CRON=$PIPE/cron/mailward-drift.cron
SERVICE=$PIPE/systemd/mailward-drift.service
TIMER=$PIPE/systemd/mailward-drift.timer
NET=b7e2d1c0-5a4f-4e3d-9c2b-1a0f9e8d7c6b # example.net in live-state.json

applied_origin
sink_start
HOOK=$SINK_URL/services/T000/B000/secret-path
export MAILWARD_PATH=desired
cd "$WORK"
set_live_hops() {
	api PATCH "/accounts/$ACCOUNT/email-security/settings/domains/$NET" \
		-d "{\"lookback_hops\": $1}" >/dev/null
}

# --- mailward-drift -----------------------------------------------------
MAILWARD_NOTIFY_URL=$HOOK expect_script 0 mailward-drift
assert_contains "$OUT" "In sync"
assert_contains "$ERR" "mailward-drift: in sync in desired"
[ ! -s "$SINK_OUT" ] || fail "notified while in sync"
# -q: nothing at all when in sync (cron mails nothing).
MAILWARD_NOTIFY_URL=$HOOK expect_script 0 mailward-drift -q
[ ! -s "$OUT" ] && [ ! -s "$ERR" ] || fail "-q printed something while in sync"

set_live_hops 6
MAILWARD_NOTIFY_URL=$HOOK expect_script 2 mailward-drift
assert_contains "$OUT" "lookback_hops: git 4, live 6"
assert_contains "$ERR" "mailward-drift: drift found in desired (notified)"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "one notification"
assert_eq "$(jget -l "$SINK_OUT" '[0].account_id')" "$ACCOUNT" "report account"
jget -l "$SINK_OUT" '[0].text' >"$T/text"
assert_contains "$T/text" "mailward: drift in Cloudflare account $ACCOUNT"
assert_contains "$T/text" "example.net: lookback_hops git 4, live 6"
assert_contains "$SINK_LOG" "POST /services/T000/B000/secret-path"
assert_not_contains "$SINK_LOG" "$TOKEN"
assert_not_contains "$SINK_LOG" "Authorization"
# -q and drift: the report is printed.
MAILWARD_NOTIFY_URL=$HOOK expect_script 2 mailward-drift -q
assert_contains "$OUT" "lookback_hops: git 4, live 6"
# Extra options reach mailward drift.
expect_script 2 mailward-drift --format json
assert_eq "$(jget "$OUT" .kind)" drift "--format json passed through"
assert_eq "$(jget "$OUT" .summary.update)" 1 "drifted domains"

# A webhook that refuses: exit 1, and its secret path is never printed.
sink_start --status 500
HOOK=$SINK_URL/services/T000/B000/secret-path
MAILWARD_NOTIFY_URL=$HOOK expect_script 1 mailward-drift --retries 0
assert_contains "$ERR" "refused: HTTP 500"
assert_contains "$ERR" "mailward-drift: drift check failed in desired (exit 1)"
assert_not_contains "$ERR" "secret-path"
assert_not_contains "$OUT" "secret-path"
sink_start
HOOK=$SINK_URL/services/T000/B000/secret-path

# The URL and the token from files (systemd credentials, Kubernetes secrets).
mkdir -p "$T/secrets"
echo "$HOOK" >"$T/secrets/notify-url"
echo "$TOKEN" >"$T/secrets/token"
: >"$SINK_OUT"
(
	unset CLOUDFLARE_API_TOKEN
	MAILWARD_NOTIFY_URL_FILE=$T/secrets/notify-url MAILWARD_TOKEN_FILE=$T/secrets/token \
		expect_script 2 mailward-drift
)
assert_eq "$(wc -l <"$SINK_OUT")" 1 "notified through MAILWARD_NOTIFY_URL_FILE"
: >"$T/secrets/empty"
MAILWARD_NOTIFY_URL_FILE=$T/secrets/empty expect_script 1 mailward-drift
assert_contains "$ERR" "is empty"

# The repository by URL: cloned into the cache, fetched on the next run.
cd "$T"
MAILWARD_REPO=file://$ORIGIN MAILWARD_CACHE_DIR=$T/cache-url expect_script 2 mailward-drift
assert_contains "$OUT" "source: file://$ORIGIN"
[ -n "$(ls "$T/cache-url/repos")" ] || fail "nothing cloned into MAILWARD_CACHE_DIR"
sed -i 's/lookback_hops: 4/lookback_hops: 6/' "$WORK/desired/domains/example-net.yaml"
commit "$WORK" "example.net: 6 hops, as live"
git -C "$WORK" push -q origin main
MAILWARD_REPO=file://$ORIGIN MAILWARD_CACHE_DIR=$T/cache-url MAILWARD_REF=main \
	expect_script 0 mailward-drift
MAILWARD_REPO=file://$ORIGIN MAILWARD_GIT_TOKEN_FILE=$T/secrets/token expect_script 1 mailward-drift
assert_contains "$ERR" "MAILWARD_GIT_TOKEN_FILE needs an https:// MAILWARD_REPO"
set_live_hops 2 # drift again, for the schedulers below

# --- cron: /etc/cron.d/mailward-drift -----------------------------------
# Environment lines, then one job line: 5 time fields, a user, a command.
grep -vE '^[[:space:]]*(#|$)' "$CRON" >"$T/cron.lines"
grep -vE '^[A-Z_]+=' "$T/cron.lines" >"$T/cron.jobs"
assert_eq "$(wc -l <"$T/cron.jobs")" 1 "job lines"
read -r min hour dom mon dow user cmd <"$T/cron.jobs"
for f in "$min" "$hour" "$dom" "$mon" "$dow"; do
	[[ $f =~ ^[0-9*/,-]+$ ]] || fail "cron time field '$f'"
done
assert_eq "$user" mailward "cron user"
[ -x "$BIN/${cmd%% *}" ] || fail "cron runs ${cmd%% *}: not in $BIN"
# Run it as cron would: its environment lines (the secrets and the
# repository pointed at this test's), PATH with mailward, sh -c COMMAND.
cron_run() {
	local -a envs=()
	while IFS= read -r line; do
		case $line in
		MAILWARD_REPO=*) line=MAILWARD_REPO=file://$ORIGIN ;;
		MAILWARD_CACHE_DIR=*) line=MAILWARD_CACHE_DIR=$T/cache-cron ;;
		MAILWARD_TOKEN_FILE=*) line=MAILWARD_TOKEN_FILE=$T/secrets/token ;;
		MAILWARD_NOTIFY_URL_FILE=*) line=MAILWARD_NOTIFY_URL_FILE=$T/secrets/notify-url ;;
		PATH=*) line="PATH=$T/path:$BIN:${line#PATH=}" ;;
		esac
		envs+=("$line")
	done < <(grep -E '^[A-Z_]+=' "$T/cron.lines")
	set +e
	env -i "${KEEP_ENV[@]}" HOME="$HOME" XDG_CACHE_HOME="$XDG_CACHE_HOME" MAILWARD_API_URL="$MAILWARD_API_URL" \
		"${envs[@]}" /bin/sh -c "$cmd" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
}
for v in MAILWARD_REPO MAILWARD_PATH MAILWARD_CACHE_DIR MAILWARD_TOKEN_FILE MAILWARD_NOTIFY_URL_FILE \
	MAILTO SHELL PATH; do
	grep -q "^$v=" "$T/cron.lines" || fail "the crontab does not set $v"
done
: >"$SINK_OUT"
cron_run
[ "$RC" = 2 ] || fail "the cron job exited $RC, expected 2 (drift)"
assert_contains "$OUT" "lookback_hops: git 6, live 2"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "cron notified"
set_live_hops 6
cron_run
[ "$RC" = 0 ] || fail "the cron job exited $RC, expected 0"
[ ! -s "$OUT" ] && [ ! -s "$ERR" ] || fail "the cron job printed something while in sync (cron would mail it)"
set_live_hops 2

# --- systemd: mailward-drift.service and .timer -------------------------
for want in "Type=oneshot" "DynamicUser=yes" "ProtectSystem=strict" "ProtectHome=yes" \
	"NoNewPrivileges=yes" "LoadCredential=cloudflare-token:" "LoadCredential=notify-url:" \
	"Environment=MAILWARD_TOKEN_FILE=%d/cloudflare-token" "Environment=MAILWARD_NOTIFY_URL_FILE=%d/notify-url" \
	"CacheDirectory=mailward" "After=network-online.target"; do
	assert_contains "$SERVICE" "$want"
done
! grep -q "^SuccessExitStatus" "$SERVICE" || fail "drift should fail the unit, as documented"
for want in "OnCalendar=daily" "RandomizedDelaySec=" "Persistent=true" "WantedBy=timers.target"; do
	assert_contains "$TIMER" "$want"
done
EXEC=$(sed -n 's/^ExecStart=//p' "$SERVICE")
[ -x "$BIN/$(basename "${EXEC%% *}")" ] || fail "ExecStart runs ${EXEC%% *}: not in $BIN"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	sed "s|^ExecStart=${EXEC%% *}|ExecStart=$BIN/$(basename "${EXEC%% *}")|" "$SERVICE" \
		>"$T/units/mailward-drift.service"
	cp "$TIMER" "$T/units/"
	systemd-analyze verify "$T/units/mailward-drift.service" "$T/units/mailward-drift.timer" \
		>"$T/verify.out" 2>&1 || { cat "$T/verify.out" >&2; fail "systemd-analyze verify failed"; }
	[ ! -s "$T/verify.out" ] || { cat "$T/verify.out" >&2; fail "systemd-analyze verify warned"; }
	systemd-analyze calendar daily >/dev/null || fail "OnCalendar=daily"
else
	echo "note: systemd-analyze is not installed: the units are not verified"
fi
# Run ExecStart with the unit's Environment= lines, its credentials in a
# folder standing for $CREDENTIALS_DIRECTORY (%d) and %C for the cache.
mkdir -p "$T/creds" "$T/cache-systemd"
while IFS=: read -r name path; do
	case $name in
	cloudflare-token) cp "$T/secrets/token" "$T/creds/$name" ;;
	notify-url) cp "$T/secrets/notify-url" "$T/creds/$name" ;;
	*) fail "unexpected credential $name ($path)" ;;
	esac
done < <(sed -n 's/^LoadCredential=//p' "$SERVICE")
unit_run() {
	local -a envs=()
	while IFS= read -r kv; do
		kv=${kv//%d/$T/creds}
		kv=${kv//%C/$T/cache-systemd}
		case $kv in MAILWARD_REPO=*) kv=MAILWARD_REPO=file://$ORIGIN ;; esac
		envs+=("$kv")
	done < <(sed -n 's/^Environment=//p' "$SERVICE")
	set +e
	env -i "${KEEP_ENV[@]}" HOME="$HOME" PATH="$T/path:$BIN:/usr/bin:/bin" MAILWARD_API_URL="$MAILWARD_API_URL" \
		CREDENTIALS_DIRECTORY="$T/creds" "${envs[@]}" "$BIN/$(basename "${EXEC%% *}")" \
		${EXEC#* } >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	check_valgrind
}
[ "$EXEC" = "${EXEC%% *}" ] && EXEC="$EXEC " # no arguments
: >"$SINK_OUT"
unit_run
[ "$RC" = 2 ] || fail "the service exited $RC, expected 2 (drift)"
assert_eq "$(wc -l <"$SINK_OUT")" 1 "the service notified"
[ -n "$(ls "$T/cache-systemd/mailward/repos")" ] || fail "nothing cloned into %C/mailward"
set_live_hops 6
unit_run
[ "$RC" = 0 ] || fail "the service exited $RC, expected 0"

assert_not_contains "$SINK_LOG" "$TOKEN"
assert_all_valid
echo ok
