/*
 * audit: the write-ahead, hash-chained writer (chain, rollback of a short
 * or failed write, torn tails, refusals of unsafe files, the lock) and the
 * verifier (each kind of tampering named at its line, unknown outcomes);
 * the revert builder on verified records; the plan kinds.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/live.h"
#include "core/plan.h"
#include "core/revert.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define ACCOUNT "023e105f4ecef8ad9ca31a8372d0c353"
#define ID_A "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define ID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define ZERO_PREV "sha256:0000000000000000000000000000000000000000000000000000000000000000"

struct fx {
	char *dir;
	char *path;
	struct plan plan;
	struct plan_change change;
	struct apply_item item;
	struct audit_context ctx;
	struct buf warnings;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	fx->dir = tu_tmpdir();
	fx->path = xasprintf("%s/audit.jsonl", fx->dir);
	fx->plan.account_id = ACCOUNT;
	fx->plan.api_url = "http://127.0.0.1:1/client/v4";
	fx->plan.source.repo = "/srv/repo";
	fx->plan.source.commit = "0123456789abcdef0123456789abcdef01234567";
	snprintf(fx->plan.digest, sizeof(fx->plan.digest), "sha256:%064d", 7);
	fx->change.action = PLAN_UPDATE;
	fx->change.domain = "example.com";
	fx->change.id = ID_A;
	fx->item.change = &fx->change;
	fx->item.op.method = API_PATCH;
	fx->item.op.path = "/accounts/" ACCOUNT "/email-security/settings/domains/" ID_A;
	fx->item.op.body_text = "{\"lookback_hops\":2}";
	fx->item.live = tu_json("{\"id\": \"" ID_A "\", \"domain\": \"example.com\", "
				"\"lookback_hops\": 1, \"folder\": null}");
	fx->item.after = tu_json("{\"id\": \"" ID_A "\", \"domain\": \"example.com\", "
				 "\"lookback_hops\": 2, \"folder\": null}");
	fx->item.outcome = APPLY_DONE;
	fx->item.op.req.status = 200;
	fx->ctx.actor = "alice";
	fx->ctx.run_id = "00112233aabbccdd";
	fx->ctx.plan = &fx->plan;
	audit_write_fn = write;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	audit_write_fn = write;
	json_decref(fx->item.live);
	json_decref(fx->item.after);
	buf_release(&fx->warnings);
	free(fx->path);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static struct audit *open_log(struct fx *fx)
{
	struct audit *a = NULL;

	buf_truncate(&fx->warnings, 0);
	assert_int_equal(audit_open(&a, fx->path, &fx->ctx, 0, &fx->warnings), 0);
	return a;
}

/* Write `n` operations: an intent and a result each. */
static void write_ops(struct fx *fx, int n)
{
	struct audit *a = open_log(fx);

	for (int i = 0; i < n; i++) {
		assert_int_equal(audit_intent(a, &fx->item), 0);
		assert_int_equal(audit_result(a, &fx->item), 0);
	}
	assert_int_equal(audit_close(a), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t r;

	assert_non_null(f);
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, r);
	fclose(f);
	buf_putc(&b, '\0');
	*len = b.len - 1;
	return buf_detach(&b, NULL);
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static json_t *line_json(const char *path, int line)
{
	size_t len;
	char *text = slurp(path, &len), *p = text;
	json_t *v;

	for (int i = 1; i < line; i++)
		p = strchr(p, '\n') + 1;
	v = json_loadb(p, strcspn(p, "\n"), 0, NULL);
	free(text);
	assert_non_null(v);
	return v;
}

/* --- the writer -------------------------------------------------------- */

static void chain_links_every_record(void **state)
{
	struct fx *fx = *state;
	struct audit_report r;
	char hash[HASH_HEX_SIZE];
	size_t len;
	char *text;
	json_t *l1, *l2, *l4;
	struct stat st;

	write_ops(fx, 2);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = slurp(fx->path, &len);
	hash_sha256_hex(hash, text, strcspn(text, "\n"));
	free(text);
	l1 = line_json(fx->path, 1);
	l2 = line_json(fx->path, 2);
	assert_int_equal(json_integer_value(json_object_get(l1, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(l1, "prev")), ZERO_PREV);
	assert_string_equal(json_string_value(json_object_get(l1, "event")), "intent");
	assert_null(json_object_get(l1, "outcome"));
	assert_int_equal(json_integer_value(json_object_get(l2, "seq")), 2);
	assert_string_equal(json_string_value(json_object_get(l2, "prev")), hash);
	assert_string_equal(json_string_value(json_object_get(l2, "event")), "result");
	assert_int_equal(json_integer_value(json_object_get(l2, "intent_seq")), 1);
	assert_string_equal(json_string_value(json_object_get(l2, "outcome")), "applied");
	json_decref(l1);
	json_decref(l2);
	/* A new run continues the chain of the file. */
	write_ops(fx, 1);
	l4 = line_json(fx->path, 6);
	assert_int_equal(json_integer_value(json_object_get(l4, "seq")), 6);
	assert_int_equal(json_integer_value(json_object_get(l4, "intent_seq")), 5);
	json_decref(l4);
	assert_int_equal(audit_verify(&r, fx->path), 0);
	assert_true(audit_report_ok(&r));
	assert_int_equal(r.n_records, 6);
	audit_report_release(&r);
}

static ssize_t short_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len / 2);
}

static ssize_t full_disk(int fd, const void *buf, size_t len)
{
	(void)fd;
	(void)buf;
	(void)len;
	errno = ENOSPC;
	return -1;
}

static void short_write_is_rolled_back(void **state)
{
	struct fx *fx = *state;
	struct audit_report r;
	struct audit *a;
	off_t before;

	write_ops(fx, 1);
	before = size_of(fx->path);
	a = open_log(fx);
	audit_write_fn = short_write;
	assert_int_equal(audit_intent(a, &fx->item), MW_EIO);
	assert_non_null(strstr(err_msg(), "the record was not kept"));
	assert_int_equal(size_of(fx->path), before);
	assert_int_equal(fx->item.intent_seq, 0); /* not written: not to be sent */
	audit_write_fn = full_disk;
	assert_int_equal(audit_result(a, &fx->item), MW_EIO);
	assert_non_null(strstr(err_msg(), "No space left on device"));
	assert_int_equal(size_of(fx->path), before);
	/* Room again: the next record links to the last whole one. */
	audit_write_fn = write;
	assert_int_equal(audit_intent(a, &fx->item), 0);
	assert_int_equal(fx->item.intent_seq, 3);
	assert_int_equal(audit_result(a, &fx->item), 0);
	assert_int_equal(audit_close(a), 0);
	assert_int_equal(audit_verify(&r, fx->path), 0);
	assert_true(audit_report_ok(&r));
	audit_report_release(&r);
}

static int writes_left;

static ssize_t fail_after(int fd, const void *buf, size_t len)
{
	if (writes_left-- > 0)
		return write(fd, buf, len);
	errno = ENOSPC;
	return -1;
}

/* A batch of intents is all or nothing: none stays when one cannot be written. */
static void intent_batch_is_all_or_nothing(void **state)
{
	struct fx *fx = *state;
	struct apply_item more[3];
	struct apply_item *batch[3] = { &more[0], &more[1], &more[2] };
	struct audit_report r;
	struct audit *a;
	off_t before;

	write_ops(fx, 1);
	before = size_of(fx->path);
	for (int i = 0; i < 3; i++)
		more[i] = fx->item;
	a = open_log(fx);
	writes_left = 2;
	audit_write_fn = fail_after;
	assert_int_equal(audit_intents(a, batch, 3), MW_EIO);
	assert_int_equal(size_of(fx->path), before);
	for (int i = 0; i < 3; i++)
		assert_int_equal(more[i].intent_seq, 0);
	audit_write_fn = write;
	/* Written ahead, then waited for: on disk, chained after the last whole record. */
	assert_int_equal(audit_intents_ahead(a, batch, 3), 0);
	assert_int_equal(more[2].intent_seq, 5);
	assert_int_equal(audit_wait_durable(a, more[2].intent_seq), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_result(a, &more[i]), 0);
	assert_int_equal(audit_close(a), 0);
	assert_int_equal(audit_verify(&r, fx->path), 0);
	assert_true(audit_report_ok(&r));
	assert_int_equal(r.n_records, 8);
	audit_report_release(&r);
}

static void torn_tail_is_cut_with_a_warning(void **state)
{
	struct fx *fx = *state;
	struct audit_report r;
	struct audit *a;
	off_t whole;
	FILE *f;
	char *want;

	write_ops(fx, 1);
	whole = size_of(fx->path);
	f = fopen(fx->path, "ab");
	fputs("{\"seq\":3,\"prev\":\"sha256:ab", f);
	fclose(f);
	a = open_log(fx);
	want = xasprintf("%s:3: cut a torn record (26 bytes, no newline) left by an interrupted "
			 "run\n",
			 fx->path);
	assert_string_equal(fx->warnings.ptr, want);
	free(want);
	assert_int_equal(size_of(fx->path), whole);
	assert_int_equal(audit_intent(a, &fx->item), 0);
	assert_int_equal(fx->item.intent_seq, 3);
	assert_int_equal(audit_result(a, &fx->item), 0);
	assert_int_equal(audit_close(a), 0);
	/* A whole last line that is not JSON: a crash's garbage, cut too. */
	whole = size_of(fx->path);
	f = fopen(fx->path, "ab");
	fputs("\x01\x02garbage\n", f);
	fclose(f);
	a = open_log(fx);
	want = xasprintf("%s:5: cut a torn record (10 bytes, not JSON) left by an interrupted "
			 "run\n",
			 fx->path);
	assert_string_equal(fx->warnings.ptr, want);
	free(want);
	assert_int_equal(size_of(fx->path), whole);
	assert_int_equal(audit_close(a), 0);
	assert_int_equal(audit_verify(&r, fx->path), 0);
	assert_true(audit_report_ok(&r));
	audit_report_release(&r);
	/* JSON that is not a record is not a crash: refused, nothing cut. */
	f = fopen(fx->path, "ab");
	fputs("{\"outcome\":\"applied\"}\n", f);
	fclose(f);
	whole = size_of(fx->path);
	a = NULL;
	assert_int_equal(audit_open(&a, fx->path, &fx->ctx, 0, &fx->warnings), MW_EIO);
	assert_null(a);
	assert_non_null(strstr(err_msg(), "is not part of a hash chain"));
	assert_int_equal(size_of(fx->path), whole);
}

static void unsafe_files_are_refused(void **state)
{
	struct fx *fx = *state;
	struct audit *a = NULL;
	char *link = xasprintf("%s/link.jsonl", fx->dir);
	char *fifo = xasprintf("%s/fifo", fx->dir);
	char *wide = xasprintf("%s/wide.jsonl", fx->dir);
	mode_t old;

	write_ops(fx, 1);
	assert_int_equal(symlink(fx->path, link), 0);
	assert_int_equal(audit_open(&a, link, &fx->ctx, 0, &fx->warnings), MW_EIO);
	assert_non_null(strstr(err_msg(), "is a symbolic link"));
	/* A FIFO with no writer would block a plain open: refused at once. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(audit_open(&a, fifo, &fx->ctx, 0, &fx->warnings), MW_EIO);
	assert_non_null(strstr(err_msg(), "is not a regular file"));
	assert_int_equal(audit_open(&a, "/dev/full", &fx->ctx, 0, &fx->warnings), MW_EIO);
	assert_non_null(strstr(err_msg(), "'/dev/full' is not a regular file"));
	assert_int_equal(chmod(fx->path, 0660), 0);
	assert_int_equal(audit_open(&a, fx->path, &fx->ctx, 0, &fx->warnings), MW_EIO);
	assert_non_null(strstr(err_msg(), "is writable by others (mode 0660)"));
	assert_int_equal(chmod(fx->path, 0602), 0);
	assert_int_equal(audit_open(&a, fx->path, &fx->ctx, 0, &fx->warnings), MW_EIO);
	assert_null(a);
	assert_int_equal(chmod(fx->path, 0640), 0);
	a = open_log(fx);
	assert_non_null(strstr(fx->warnings.ptr, "mode 0640 is wider than 0600"));
	assert_int_equal(audit_close(a), 0);
	/* Created 0600 whatever the umask. */
	old = umask(0);
	assert_int_equal(audit_open(&a, wide, &fx->ctx, 0, &fx->warnings), 0);
	umask(old);
	assert_int_equal(size_of(wide), 0);
	{
		struct stat st;

		assert_int_equal(stat(wide, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	assert_int_equal(audit_close(a), 0);
	free(link);
	free(fifo);
	free(wide);
}

static void second_writer_is_refused_naming_the_pid(void **state)
{
	struct fx *fx = *state;
	struct audit *a = NULL;
	int ready[2];
	char pidtext[32], c;
	pid_t child;
	double t0;

	write_ops(fx, 1);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct audit *held = NULL;

		close(ready[0]);
		if (audit_open(&held, fx->path, &fx->ctx, 0, &fx->warnings) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(audit_open(&a, fx->path, &fx->ctx, 0, &fx->warnings), MW_ELOCKED);
	snprintf(pidtext, sizeof(pidtext), "locked by pid %ld", (long)child);
	assert_non_null(strstr(err_msg(), pidtext));
	/* --lock-timeout waits, then gives up. */
	t0 = time_mono();
	assert_int_equal(audit_open(&a, fx->path, &fx->ctx, 0.3, &fx->warnings), MW_ELOCKED);
	assert_true(time_mono() - t0 >= 0.29);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* The kernel dropped the dead holder's lock. */
	a = open_log(fx);
	assert_int_equal(audit_close(a), 0);
}

/* --- the verifier ------------------------------------------------------ */

/* Rewrite the file with its lines in the order given ("1 2 4 3 ..."), optionally edited. */
static void reorder(const char *path, const int *order, size_t n)
{
	size_t len;
	char *text = slurp(path, &len), *lines[64], *p = text;
	struct buf out = BUF_INIT;
	size_t nl = 0;

	while (*p && nl < 64) {
		lines[nl++] = p;
		p = strchr(p, '\n') + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *l = lines[order[i] - 1];

		buf_add(&out, l, strcspn(l, "\n") + 1);
	}
	buf_putc(&out, '\0');
	spit(path, out.ptr);
	buf_release(&out);
	free(text);
}

static void expect_broken(const char *path, size_t line, const char *why)
{
	struct audit_report r;

	assert_int_equal(audit_verify(&r, path), 0);
	assert_false(audit_report_ok(&r));
	if (r.broken != line || !strstr(r.broken_why, why))
		fail_msg("expected line %zu '%s', got line %zu '%s'", line, why, r.broken,
			 r.broken_why ? r.broken_why : "");
	audit_report_release(&r);
}

static void tampering_is_named_at_its_line(void **state)
{
	struct fx *fx = *state;
	static const int removed[] = { 1, 2, 4, 5, 6 };
	static const int swapped[] = { 1, 2, 4, 3, 5, 6 };
	static const int first_gone[] = { 2, 3, 4, 5, 6 };
	char *copy = xasprintf("%s/copy.jsonl", fx->dir);
	size_t len;
	char *text, *at;

	write_ops(fx, 3);
	text = slurp(fx->path, &len);
	/* An edited value: the next record's prev no longer matches. */
	at = strstr(strchr(text, '\n') + 1, "alice");
	memcpy(at, "ALICE", 5);
	spit(copy, text);
	expect_broken(copy, 2, "record 2 was changed after it was written");
	memcpy(at, "alice", 5);
	spit(copy, text);
	reorder(copy, removed, 5);
	expect_broken(copy, 3, "record seq 4 where 3 was expected: 1 record before it was removed");
	spit(copy, text);
	reorder(copy, swapped, 6);
	expect_broken(copy, 3, "record seq 4 where 3 was expected: records were reordered");
	spit(copy, text);
	reorder(copy, first_gone, 5);
	expect_broken(copy, 1, "record seq 2 where 1 was expected");
	/* Truncated mid-line. */
	text[len - 10] = '\0';
	spit(copy, text);
	expect_broken(copy, 6, "torn record: the last line has no newline");
	free(text);
	free(copy);
}

static void intents_without_results_are_unknown(void **state)
{
	struct fx *fx = *state;
	struct audit_report r;
	struct audit *a;

	write_ops(fx, 1);
	a = open_log(fx);
	assert_int_equal(audit_intent(a, &fx->item), 0);
	assert_int_equal(audit_sent(a, &fx->item), 0);
	/* Written ahead and never sent: also unknown, but said so. */
	assert_int_equal(audit_intent(a, &fx->item), 0);
	assert_int_equal(audit_close(a), 0);
	assert_int_equal(audit_verify(&r, fx->path), 0);
	assert_int_equal(r.broken, 0);
	assert_int_equal(r.n_unknown, 2);
	assert_int_equal(r.unknown[0].line, 3);
	assert_non_null(strstr(r.unknown[0].message,
			       "intent without a result: PATCH /accounts/" ACCOUNT
			       "/email-security/settings/domains/" ID_A " (domain example.com"));
	assert_non_null(strstr(r.unknown[0].message, "was sent; its outcome is unknown"));
	assert_int_equal(r.unknown[1].line, 5);
	assert_non_null(strstr(r.unknown[1].message, "was written ahead, with no record of being "
						     "sent"));
	assert_false(audit_report_ok(&r));
	audit_report_release(&r);
}

/* --- revert ------------------------------------------------------------ */

static void load_live(struct live *l, const char *text)
{
	json_t *arr = tu_json(text);

	assert_int_equal(live_load(l, arr), 0);
	json_decref(arr);
}

static void revert_puts_back_what_the_run_changed(void **state)
{
	struct fx *fx = *state;
	struct plan_change del = { PLAN_DELETE, "old.example.com", ID_B, NULL, NULL, NULL, NULL,
				   NULL };
	struct apply_item gone = { 0 };
	struct revert_notes notes = { 0 };
	struct audit_report r;
	struct live live = LIVE_INIT;
	struct plan p, saved;
	struct audit *a;
	json_t *j;

	a = open_log(fx);
	assert_int_equal(audit_intent(a, &fx->item), 0);
	assert_int_equal(audit_result(a, &fx->item), 0);
	gone.change = &del;
	gone.op.method = API_DELETE;
	gone.op.path = "/accounts/" ACCOUNT "/email-security/settings/domains/" ID_B;
	gone.outcome = APPLY_DONE;
	assert_int_equal(audit_intent(a, &gone), 0);
	assert_int_equal(audit_result(a, &gone), 0);
	assert_int_equal(audit_close(a), 0);
	assert_int_equal(audit_verify(&r, fx->path), 0);
	assert_true(audit_report_ok(&r));

	/* Live still as the run left it: one PATCH back to the value before. */
	load_live(&live, "[{\"id\": \"" ID_A "\", \"domain\": \"example.com\", "
			 "\"lookback_hops\": 2, \"folder\": null}]");
	assert_int_equal(revert_build(&p, &notes, r.records, "00112233aabbccdd", &live), 0);
	assert_int_equal(p.kind, PLAN_KIND_REVERT);
	assert_string_equal(p.revert_of, "00112233aabbccdd");
	assert_int_equal(p.nr, 1);
	assert_string_equal(p.changes[0].id, ID_A);
	assert_json(p.changes[0].body, "{\"lookback_hops\": 1}");
	assert_int_equal(json_array_size(notes.conflicts), 0);
	assert_int_equal(json_array_size(notes.not_restorable), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(notes.not_restorable, 0), "domain")),
			    "old.example.com");
	/* The plan file round trip keeps kind and revert_of, in the digest. */
	j = plan_to_json(&p);
	assert_int_equal(plan_from_json(&saved, j), 0);
	assert_int_equal(saved.kind, PLAN_KIND_REVERT);
	assert_string_equal(saved.revert_of, "00112233aabbccdd");
	assert_int_equal(revert_compare(&saved, &p), 0);
	/* A saved change the log does not imply (a forged body) is refused. */
	json_object_set_new(saved.changes[0].body, "lookback_hops", json_integer(9));
	assert_int_equal(revert_compare(&saved, &p), MW_ESTALE);
	assert_non_null(
		strstr(err_msg(), "example.com (" ID_A "): not what the audit log implies"));
	plan_release(&saved);
	json_decref(j);
	plan_release(&p);
	revert_notes_release(&notes);
	live_release(&live);

	/* Live changed since the run: a conflict, left out. */
	load_live(&live, "[{\"id\": \"" ID_A "\", \"domain\": \"example.com\", "
			 "\"lookback_hops\": 5, \"folder\": null}]");
	assert_int_equal(revert_build(&p, &notes, r.records, "00112233aabbccdd", &live), 0);
	assert_int_equal(p.nr, 0);
	assert_int_equal(json_array_size(notes.conflicts), 1);
	assert_non_null(strstr(
		json_string_value(json_object_get(json_array_get(notes.conflicts, 0), "why")),
		"lookback_hops is now 5, the run left 2"));
	plan_release(&p);
	revert_notes_release(&notes);
	live_release(&live);
	assert_int_equal(revert_build(&p, &notes, r.records, "ffffffffffffffff", &live), MW_EPLAN);
	revert_notes_release(&notes);
	audit_report_release(&r);
}

static void plan_kind_is_validated(void **state)
{
	struct plan p;
	json_t *j = tu_json(
		"{\"format_version\": 1, \"kind\": \"wipe\", \"tool\": {\"version\": \"0\"}}");
	json_t *body;
	char digest[HASH_HEX_SIZE];
	char *text;

	(void)state;
	body = json_deep_copy(j);
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	hash_sha256_hex(digest, text, strlen(text));
	free(text);
	json_object_set_new(j, "digest", json_string(digest));
	assert_int_equal(plan_from_json(&p, j), MW_EPLAN);
	assert_non_null(strstr(err_msg(), "'kind' must be"));
	json_decref(body);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(chain_links_every_record, setup, teardown),
		cmocka_unit_test_setup_teardown(short_write_is_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(intent_batch_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail_is_cut_with_a_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_files_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(second_writer_is_refused_naming_the_pid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(tampering_is_named_at_its_line, setup, teardown),
		cmocka_unit_test_setup_teardown(intents_without_results_are_unknown, setup,
						teardown),
		cmocka_unit_test_setup_teardown(revert_puts_back_what_the_run_changed, setup,
						teardown),
		cmocka_unit_test(plan_kind_is_validated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
