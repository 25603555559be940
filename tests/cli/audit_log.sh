#!/usr/bin/env bash
# The audit log: written ahead (an intent before each request, a result
# after), hash-chained (audit verify names each kind of tampering at its
# FILE:LINE), whole lines (a torn tail is cut at open, with a warning),
# a safe file (no link, FIFO or device; 0600; not writable by others), and
# one writer at a time (a second apply is refused, naming the pid, with
# nothing sent). audit log answers "who changed example.com's folder".
. "$(dirname "$0")/lib.sh"

LOG=$T/audit.jsonl
sandbox_start "$EXAMPLES/live-state.json" --log "$T/requests.jsonl"
demo_repo
# A change of folder for example.com, so the history has one to tell.
sed -i 's/^    folder: null/    folder: Inbox/' domains/example-com.yaml
commit . "example.com: deliver to the inbox"
COMMIT=$(git rev-parse HEAD)

expect_exit 2 plan --out "$T/plan.json"
export GITHUB_ACTOR=alice
expect_exit 0 apply "$T/plan.json" --audit-log "$LOG"
RUN=$(sed -n 's/^Applying .*(run \([0-9a-f]*\), plan .*/\1/p' "$OUT")
[ -n "$RUN" ] || fail "apply printed no run id"

# Written ahead: 4 operations, 4 intents, 4 sent and 4 results, each in that order.
assert_eq "$(wc -l <"$LOG")" 12 "records"
assert_eq "$(grep -c '"event":"intent"' "$LOG")" 4 "intents"
assert_eq "$(grep -c '"event":"sent"' "$LOG")" 4 "sent records"
assert_eq "$(stats .requests.patch)" 3 "PATCH requests"
assert_eq "$(stats .requests.delete)" 1 "DELETE requests"
for i in $(seq 0 11); do
	assert_eq "$(jget -l "$LOG" "[$i].seq")" "$((i + 1))" "seq of line $((i + 1))"
done
assert_eq "$(jget -l "$LOG" '[0].prev')" "sha256:$(printf '0%.0s' $(seq 64))" "first prev"
assert_eq "$(jget -l "$LOG" '[1].prev')" "sha256:$(head -n 1 "$LOG" | tr -d '\n' | sha256sum | cut -c1-64)" \
	"second prev is the hash of the first line"
for i in $(seq 0 11); do
	if [ "$(jget -l "$LOG" "[$i].event")" != intent ]; then
		iseq=$(jget -l "$LOG" "[$i].intent_seq")
		[ "$iseq" -lt "$((i + 1))" ] || fail "result on line $((i + 1)) before its intent"
		assert_eq "$(jget -l "$LOG" "[$((iseq - 1))].event")" intent "intent_seq of line $((i + 1))"
		assert_eq "$(jget -l "$LOG" "[$((iseq - 1))].path")" "$(jget -l "$LOG" "[$i].path")" \
			"result and intent name one request"
	fi
done
expect_exit 0 audit verify "$LOG"
assert_contains "$OUT" "12 records, the hash chain is whole and every intent has its result"

# The history: who changed example.com's folder, when, from which commit.
expect_exit 0 audit log "$LOG" --domain example.com
assert_contains "$OUT" "run $RUN by alice, commit ${COMMIT:0:12}"
assert_contains "$OUT" "update example.com: "
assert_contains "$OUT" "folder null -> \"Inbox\""
assert_contains "$OUT" "[applied, HTTP 200"
assert_not_contains "$OUT" "mail.example.com"
expect_exit 0 audit log "$LOG" --domain example.com --format json
assert_eq "$(jget "$OUT" '[0].actor')" alice "json actor"
assert_eq "$(jget "$OUT" '[0].commit')" "$COMMIT" "json commit"
assert_eq "$(jget "$OUT" '[0].outcome')" applied "json outcome"
expect_exit 0 audit log "$LOG" --run 0000000000000000
assert_contains "$ERR" "no record matches"
# A log is anyone's: nothing in it reaches the terminal raw.
cp "$LOG" "$T/evil.jsonl"
printf '%s\n' '{"seq":9,"prev":"x","event":"intent","run_id":"r\u001b]0;pwned\u0007","domain":"e\u001b[2J.example","method":"PATCH","path":"/x\u001b[31m"}' >>"$T/evil.jsonl"
expect_exit 0 audit log "$T/evil.jsonl"
assert_contains "$OUT" 'e\x1b[2J.example'
expect_exit 1 audit verify "$T/evil.jsonl"
assert_contains "$OUT" 'PATCH /x\x1b[31m (domain e\x1b[2J.example, run r\x1b]0;pwned\x07)'
for f in "$OUT" "$ERR"; do
	if grep -q "$(printf '\033')" "$f"; then fail "a raw escape character reached the terminal"; fi
done
expect_exit 0 audit log "$T/evil.jsonl"
if grep -q "$(printf '\033')" "$OUT" "$ERR"; then fail "audit log printed a raw escape"; fi
expect_exit 1 audit log "$LOG" --format yaml
expect_exit 1 audit frobnicate "$LOG"

# --- each way of tampering, named at its line --------------------------------
tamper() { # NAME SED-SCRIPT LINE WHAT
	cp "$LOG" "$T/t.jsonl"
	eval "$2"
	expect_exit 1 audit verify "$T/t.jsonl"
	assert_contains "$OUT" "$T/t.jsonl:$3: $4"
}
tamper "edit a value" "sed -i '2s/\"actor\":\"alice\"/\"actor\":\"mallory\"/' \"\$T/t.jsonl\"" \
	2 "record 2 was changed after it was written"
# Editing a record's prev to hide the edit before it: that record is named.
tamper "edit a prev" "sed -i '3s/\"prev\":\"sha256:./\"prev\":\"sha256:x/' \"\$T/t.jsonl\"" \
	3 "record 3 was changed after it was written"
tamper "delete a line" "sed -i '4d' \"\$T/t.jsonl\"" 4 "record seq 5 where 4 was expected: 1 record before it was removed"
swap_3_4() {
	{ sed -n '1,2p' "$1"; sed -n 4p "$1"; sed -n 3p "$1"; sed -n '5,$p' "$1"; } >"$1.new"
	mv "$1.new" "$1"
}
tamper "swap two lines" 'swap_3_4 "$T/t.jsonl"' 3 "record seq 4 where 3 was expected"
tamper "truncate mid-line" "truncate -s -40 \"\$T/t.jsonl\"" 12 "torn record: the last line has no newline"
tamper "remove the first line" "sed -i '1d' \"\$T/t.jsonl\"" 1 "record seq 2 where 1 was expected"
# An intent without a result: the process died after sending it.
head -n 1 "$LOG" >"$T/t.jsonl"
expect_exit 1 audit verify "$T/t.jsonl"
assert_contains "$OUT" "$T/t.jsonl:1: intent without a result: "
assert_contains "$OUT" "its outcome is unknown"

# --- a torn tail is cut at open, with a warning that names it ---------------
git checkout -q HEAD~1 -- domains/example-com.yaml
commit . "back to no folder"
expect_exit 2 plan --out "$T/plan2.json"
cp "$LOG" "$T/before.jsonl"
printf '{"seq":9,"prev":"sha256:torn-by-a-cr' >>"$LOG"
expect_exit 0 apply "$T/plan2.json" --audit-log "$LOG"
assert_contains "$ERR" "warning: $LOG:13: cut a torn record (36 bytes, no newline) left by an interrupted run"
cmp -s "$T/before.jsonl" <(head -n 12 "$LOG") || fail "the records before the torn one changed"
assert_eq "$(jget -l "$LOG" '[12].seq')" 13 "the chain goes on after the cut"
expect_exit 0 audit verify "$LOG"
assert_contains "$OUT" "15 records"

# --- a safe file --------------------------------------------------------------
expect_exit 2 plan --out "$T/plan3.json" --repo . --ref HEAD~1
reset_stats
ln -s "$LOG" "$T/link.jsonl"
expect_exit 1 apply "$T/plan3.json" --ref HEAD~1 --audit-log "$T/link.jsonl"
assert_contains "$ERR" "is a symbolic link"
mkfifo "$T/fifo"
# Bounded: a FIFO that blocked the open would hang here, not fail.
set +e
timeout 10 "$MAILWARD" apply "$T/plan3.json" --ref HEAD~1 --audit-log "$T/fifo" >"$OUT" 2>"$ERR"
RC=$?
set -e
assert_eq "$RC" 1 "a FIFO is refused at once"
assert_contains "$ERR" "is not a regular file"
expect_exit 1 apply "$T/plan3.json" --ref HEAD~1 --audit-log /dev/full
assert_contains "$ERR" "audit log '/dev/full' is not a regular file"
touch "$T/gw.jsonl" && chmod 0620 "$T/gw.jsonl"
expect_exit 1 apply "$T/plan3.json" --ref HEAD~1 --audit-log "$T/gw.jsonl"
assert_contains "$ERR" "is writable by others (mode 0620)"
assert_eq "$(stats .requests.patch)" 0 "PATCH requests after the refusals"
chmod 0644 "$LOG"
expect_exit 0 apply "$T/plan3.json" --ref HEAD~1 --audit-log "$LOG"
assert_contains "$ERR" "warning: $LOG: mode 0644 is wider than 0600"
# A new log is created 0600 whatever the umask.
(umask 000 && "$MAILWARD" apply "$T/plan3.json" --ref HEAD~1 --audit-log "$T/new.jsonl" >/dev/null 2>&1) || true
[ "$(stat -c %a "$T/new.jsonl")" = 600 ] || fail "a new audit log is not 0600"
expect_exit 0 audit verify "$LOG"

# --- one writer at a time ----------------------------------------------------
sandbox_restart "$EXAMPLES/live-state.json" --latency-ms 1500
expect_exit 2 plan --out "$T/plan5.json"
reset_stats
"$MAILWARD" apply "$T/plan5.json" --audit-log "$T/one.jsonl" --concurrency 1 \
	>"$T/first.out" 2>"$T/first.err" &
FIRST=$!
for _ in $(seq 1 200); do
	grep -q '^Applying' "$T/first.out" 2>/dev/null && break
	sleep 0.05
done
grep -q '^Applying' "$T/first.out" || fail "the first apply did not start"
# The account's lock: refused at once, naming the holder, nothing sent.
expect_exit 1 apply "$T/plan5.json" --audit-log "$T/two.jsonl"
assert_contains "$ERR" "locks/$ACCOUNT.lock' is locked by pid $FIRST"
assert_contains "$ERR" "nothing was sent"
# The audit log's own lock, with another account lock file.
expect_exit 1 apply "$T/plan5.json" --audit-log "$T/one.jsonl" --lock-file "$T/other.lock"
assert_contains "$ERR" "'$T/one.jsonl' is locked by pid $FIRST"
# Waiting for it: the run after sees what the first did, and sends nothing.
expect_exit 4 apply "$T/plan5.json" --audit-log "$T/one.jsonl" --lock-timeout 30s
assert_contains "$ERR" "the plan is stale"
wait "$FIRST" || fail "the first apply failed: $(cat "$T/first.err")"
assert_eq "$(stats .requests.patch)" 3 "PATCH requests: the first run's only"
assert_eq "$(stats .requests.delete)" 1 "DELETE requests: the first run's only"
expect_exit 0 audit verify "$T/one.jsonl"
[ ! -e "$T/two.jsonl" ] || [ ! -s "$T/two.jsonl" ] || fail "the refused run wrote records"
expect_exit 1 apply "$T/plan5.json" --lock-timeout soon
assert_contains "$ERR" "'soon' is not a duration"

assert_all_valid
for f in "$OUT" "$ERR" "$LOG" "$T/one.jsonl"; do
	assert_not_contains "$f" "$TOKEN"
done
