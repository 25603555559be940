#include "audit.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/err.h"
#include "util/lock.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define ZERO_HASH "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* A record longer than this is not one mailward wrote. */
#define AUDIT_MAX_LINE (16u << 20)

ssize_t (*audit_write_fn)(int fd, const void *buf, size_t len) = write;

/*
 * Invariants: `fd` is open O_APPEND on a regular file and locked; `seq` is
 * the seq of the last whole record (0 when none) and `prev` its hash; a
 * failed record is cut off again and leaves both as they were; once a cut
 * failed (`broken`), nothing more is written.
 */
struct audit {
	int fd;
	char *path;
	struct audit_context ctx;
	long long seq;
	char prev[HASH_HEX_SIZE];
	bool broken;
	/*
	 * The sync thread: it fsyncs up to `sync_want` (a seq whose record
	 * was written before it was asked) and then publishes `synced`; a
	 * failed fsync sets `sync_errno`, after which nothing is durable.
	 * All four under `mu`; `syncer` runs from open to close.
	 */
	pthread_t syncer;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	long long sync_want, synced;
	int sync_errno;
	bool stopping, have_syncer;
};

/* --- opening ----------------------------------------------------------- */

static int open_safely(int *out, const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	*out = -1;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer or a reader. */
	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	if (fd < 0 && errno == ELOOP)
		return err_set(MW_EIO, "audit log '%s' is a symbolic link: give the file itself",
			       path);
	if (fd < 0 && errno == ENXIO)
		return err_set(MW_EIO, "audit log '%s' is not a regular file", path);
	if (fd < 0)
		return err_set(MW_EIO, "cannot open audit log '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(MW_EIO, "audit log '%s' is not a regular file", path);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(fd);
		return err_set(MW_EIO, "cannot open audit log '%s': %s", path, strerror(errno));
	}
	*out = fd;
	return 0;
}

/* The positions of the file's last three newlines (-1: none) and how many there are. */
struct tail {
	off_t nl[3]; /* nl[0] the last */
	size_t lines; /* newlines */
	off_t size;
};

static int scan_tail(struct tail *t, int fd, const char *path)
{
	char chunk[65536];
	off_t off = 0;

	t->nl[0] = t->nl[1] = t->nl[2] = -1;
	t->lines = 0;
	for (;;) {
		ssize_t r = pread(fd, chunk, sizeof(chunk), off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(MW_EIO, "cannot read audit log '%s': %s", path,
				       strerror(errno));
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (chunk[i] != '\n')
				continue;
			t->nl[2] = t->nl[1];
			t->nl[1] = t->nl[0];
			t->nl[0] = off + i;
			t->lines++;
		}
		off += r;
	}
	t->size = off;
	return 0;
}

static int read_range(char **out, int fd, const char *path, off_t from, off_t to)
{
	size_t len = (size_t)(to - from), got = 0;
	char *text;

	*out = NULL;
	if (len > AUDIT_MAX_LINE)
		return err_set(MW_EIO, "audit log '%s': a record of %zu bytes is not mailward's",
			       path, len);
	text = xmalloc(len + 1);
	while (got < len) {
		ssize_t r = pread(fd, text + got, len - got, from + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(text);
			return err_set(MW_EIO, "cannot read audit log '%s': %s", path,
				       r < 0 ? strerror(errno) : "it shrank");
		}
		got += (size_t)r;
	}
	text[len] = '\0';
	*out = text;
	return 0;
}

/* A record: a JSON object with a positive integer seq and a prev hash. */
static json_t *parse_record(const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "seq")) ||
	    json_integer_value(json_object_get(o, "seq")) < 1 ||
	    !json_is_string(json_object_get(o, "prev"))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int cut(int fd, const char *path, off_t at, size_t line, off_t bytes, const char *why,
	       struct buf *warnings)
{
	if (ftruncate(fd, at) < 0 || fsync(fd) < 0)
		return err_set(MW_EIO, "audit log '%s': cannot cut the torn record at line %zu: %s",
			       path, line, strerror(errno));
	buf_printf(warnings,
		   "%s:%zu: cut a torn record (%lld bytes, %s) left by an interrupted run\n", path,
		   line, (long long)bytes, why);
	return 0;
}

/* Read the line between two newline positions and take it as the chain's last record. */
static int take_last(struct audit *a, off_t nl_before, off_t nl_end, bool *is_record, bool *is_json)
{
	off_t from = nl_before + 1;
	size_t len = (size_t)(nl_end - from);
	char *text = NULL;
	json_t *rec, *any;
	int rc;

	rc = read_range(&text, a->fd, a->path, from, nl_end);
	if (rc < 0)
		return rc;
	rec = parse_record(text, len);
	*is_record = rec != NULL;
	*is_json = *is_record;
	if (rec) {
		hash_sha256_hex(a->prev, text, len);
		a->seq = (long long)json_integer_value(json_object_get(rec, "seq"));
	} else if ((any = json_loadb(text, len, 0, NULL))) {
		*is_json = true;
		json_decref(any);
	}
	json_decref(rec);
	free(text);
	return 0;
}

/*
 * Cut a torn tail (a last line without newline, then a last line that is
 * not JSON), and read the chain's last record into a->seq and a->prev.
 * Only what a crash leaves is cut: a last line that is JSON but no record,
 * or a second bad line, is damage for a person to look at.
 */
static int repair_tail(struct audit *a, struct buf *warnings)
{
	bool is_record = false, is_json = false;
	struct tail t;
	int rc;

	a->seq = 0;
	snprintf(a->prev, sizeof(a->prev), "%s", ZERO_HASH);
	rc = scan_tail(&t, a->fd, a->path);
	if (rc < 0)
		return rc;
	if (t.size > 0 && t.nl[0] != t.size - 1) {
		rc = cut(a->fd, a->path, t.nl[0] + 1, t.lines + 1, t.size - t.nl[0] - 1,
			 "no newline", warnings);
		if (rc < 0)
			return rc;
	}
	if (t.lines == 0)
		return 0;
	rc = take_last(a, t.nl[1], t.nl[0], &is_record, &is_json);
	if (rc < 0)
		return rc;
	if (is_record)
		return 0;
	if (is_json)
		goto damaged;
	rc = cut(a->fd, a->path, t.nl[1] + 1, t.lines, t.nl[0] - t.nl[1], "not JSON", warnings);
	if (rc < 0)
		return rc;
	t.lines--;
	if (t.lines == 0)
		return 0;
	rc = take_last(a, t.nl[2], t.nl[1], &is_record, &is_json);
	if (rc < 0)
		return rc;
	if (is_record)
		return 0;
damaged:
	return err_set(MW_EIO,
		       "audit log '%s': its last record (line %zu) is not part of a hash chain; "
		       "keep the file, check it with 'mailward audit verify', and give a new one",
		       a->path, t.lines);
}

static void *sync_main(void *arg)
{
	struct audit *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		long long want;
		int e;

		while (!a->stopping && (a->sync_want <= a->synced || a->sync_errno))
			pthread_cond_wait(&a->cond, &a->mu);
		if (a->stopping)
			break;
		want = a->sync_want;
		pthread_mutex_unlock(&a->mu);
		e = fsync(a->fd) < 0 ? errno : 0;
		pthread_mutex_lock(&a->mu);
		if (e)
			a->sync_errno = e;
		else if (want > a->synced)
			a->synced = want;
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void free_audit_thread(struct audit *a)
{
	if (!a->have_syncer)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->syncer, NULL);
	a->have_syncer = false;
}

static void free_audit(struct audit *a)
{
	free_audit_thread(a);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cond);
	free(a->path);
	free(a);
}

int audit_open(struct audit **out, const char *path, const struct audit_context *ctx,
	       double lock_timeout_s, struct buf *warnings)
{
	struct audit *a = NULL;
	struct stat st;
	int fd = -1, rc;

	*out = NULL;
	rc = open_safely(&fd, path, O_RDWR | O_APPEND | O_CREAT, 0600);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = err_set(MW_EIO, "cannot open audit log '%s': %s", path, strerror(errno));
		goto done;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = err_set(MW_EIO,
			     "audit log '%s' is writable by others (mode %04o): anyone could "
			     "rewrite it; chmod 600 it first",
			     path, (unsigned)(st.st_mode & 07777));
		goto done;
	}
	if (st.st_mode & 077)
		buf_printf(warnings, "%s: mode %04o is wider than 0600: others can read the log\n",
			   path, (unsigned)(st.st_mode & 07777));
	rc = lock_fd(fd, path, lock_timeout_s);
	if (rc < 0)
		goto done;
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	a->path = xstrdup(path);
	a->ctx = *ctx;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cond, NULL);
	fd = -1;
	rc = repair_tail(a, warnings);
	if (rc < 0)
		goto done;
	a->synced = a->sync_want = a->seq;
	if (pthread_create(&a->syncer, NULL, sync_main, a) != 0) {
		rc = err_set(MW_EIO, "audit log '%s': cannot start its sync thread", path);
		goto done;
	}
	a->have_syncer = true;
	*out = a;
	a = NULL;
done:
	if (fd >= 0)
		close(fd);
	if (a) {
		close(a->fd);
		free_audit(a);
	}
	return rc;
}

/* --- records ----------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *method_name(enum api_method m)
{
	return m == API_PATCH ? "PATCH" : m == API_DELETE ? "DELETE" : "GET";
}

json_t *audit_entry(const struct audit_context *ctx, const struct apply_item *item,
		    const char *event)
{
	const struct plan *p = ctx->plan;
	const struct plan_change *c = item->change;
	const struct api_op *op = &item->op;
	bool result = !strcmp(event, "result");
	char stamp[32];
	json_t *o = json_object();
	json_t *body = NULL;

	time_format_now_ms(stamp);
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "time", json_string(stamp));
	json_object_set_new(o, "run_id", json_string(ctx->run_id));
	json_object_set_new(o, "actor", json_string(ctx->actor));
	json_object_set_new(
		o, "tool",
		json_pack("{s:s, s:s}", "name", "mailward", "version", MAILWARD_VERSION));
	json_object_set_new(o, "account_id", json_string(p->account_id));
	json_object_set_new(o, "api_url", json_string(p->api_url));
	json_object_set_new(o, "repo", str_or_null(p->source.repo));
	json_object_set_new(o, "commit", str_or_null(p->source.commit));
	json_object_set_new(o, "plan_digest", json_string(p->digest));
	json_object_set_new(o, "plan_kind", json_string(plan_kind_name(p->kind)));
	if (p->revert_of)
		json_object_set_new(o, "revert_of", json_string(p->revert_of));
	json_object_set_new(o, "action", json_string(plan_action_name(c->action)));
	json_object_set_new(o, "domain", json_string(c->domain));
	json_object_set_new(o, "domain_id", json_string(c->id));
	json_object_set_new(o, "method", json_string(method_name(op->method)));
	json_object_set_new(o, "path", str_or_null(op->path));
	if (op->body_text)
		body = json_loads(op->body_text, 0, NULL);
	json_object_set_new(o, "request_body", body ? body : json_null());
	json_object_set_new(o, "before",
			    item->live ? fields_project(item->live, FIELD_WRITABLE, FIELDS_AS_GIVEN)
				       : json_null());
	if (!result)
		return o;
	json_object_set_new(o, "intent_seq",
			    item->intent_seq ? json_integer(item->intent_seq) : json_null());
	json_object_set_new(o, "status",
			    op->req.status ? json_integer(op->req.status) : json_null());
	json_object_set_new(o, "cf_ray",
			    op->req.cf_ray[0] ? json_string(op->req.cf_ray) : json_null());
	json_object_set_new(o, "attempts", json_integer(op->req.attempts));
	json_object_set_new(o, "outcome", json_string(apply_outcome_name(item->outcome)));
	json_object_set_new(o, "error", str_or_null(item->error));
	json_object_set_new(o, "api_errors", op->errors ? json_incref(op->errors) : json_null());
	if (item->outcome == APPLY_DONE && c->action == PLAN_UPDATE && item->after)
		json_object_set_new(o, "after",
				    fields_project(item->after, FIELD_WRITABLE, FIELDS_AS_GIVEN));
	else if ((item->outcome == APPLY_DONE || item->outcome == APPLY_GONE) &&
		 c->action == PLAN_DELETE)
		json_object_set_new(o, "after", json_null());
	else
		json_object_set_new(
			o, "after",
			item->live ? fields_project(item->live, FIELD_WRITABLE, FIELDS_AS_GIVEN)
				   : json_null());
	return o;
}

/* Cut the file back to `size` (a record, or a batch, that must not stay). */
static int cut_back(struct audit *a, off_t size, const char *what, int saved)
{
	if (ftruncate(a->fd, size) < 0 || fsync(a->fd) < 0) {
		/* What is on disk is unknown now: the chain cannot go on. */
		a->broken = true;
		return err_set(
			MW_EIO,
			"cannot %s audit log '%s': %s; and cannot cut the partial record: %s", what,
			a->path, strerror(saved), strerror(errno));
	}
	return err_set(MW_EIO, "cannot %s audit log '%s': %s (the record was not kept)", what,
		       a->path, strerror(saved));
}

/*
 * Append one record with one write(2), chained to the last; a short or
 * failed write is cut off again, so that the line is whole or absent. Not
 * synced: the caller decides when.
 */
static int write_record(struct audit *a, json_t *entry)
{
	json_t *rec = json_object();
	char *text = NULL, *line = NULL;
	struct stat st;
	size_t len;
	ssize_t w;
	int rc = 0;

	if (a->broken) {
		rc = err_set(MW_EIO,
			     "audit log '%s': an earlier record could not be cut off again, so "
			     "nothing more is written",
			     a->path);
		goto done;
	}
	if (fstat(a->fd, &st) < 0) {
		rc = err_set(MW_EIO, "cannot write audit log '%s': %s", a->path, strerror(errno));
		goto done;
	}
	json_object_set_new(rec, "seq", json_integer(a->seq + 1));
	json_object_set_new(rec, "prev", json_string(a->prev));
	json_object_update(rec, entry);
	text = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	len = strlen(text);
	line = xmalloc(len + 1);
	memcpy(line, text, len);
	line[len] = '\n';
	do
		w = audit_write_fn(a->fd, line, len + 1);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)(len + 1)) {
		rc = cut_back(a, st.st_size, "write", w < 0 ? errno : ENOSPC);
		goto done;
	}
	a->seq++;
	hash_sha256_hex(a->prev, text, len);
done:
	free(line);
	free(text);
	json_decref(rec);
	json_decref(entry);
	return rc;
}

int audit_intents_ahead(struct audit *a, struct apply_item *const *items, size_t n)
{
	long long seq0 = a->seq;
	char prev0[HASH_HEX_SIZE];
	struct stat st;
	size_t i;
	int rc = 0;

	memcpy(prev0, a->prev, sizeof(prev0));
	if (fstat(a->fd, &st) < 0)
		return err_set(MW_EIO, "cannot write audit log '%s': %s", a->path, strerror(errno));
	for (i = 0; i < n && rc == 0; i++) {
		rc = write_record(a, audit_entry(&a->ctx, items[i], "intent"));
		if (rc == 0)
			items[i]->intent_seq = a->seq;
	}
	if (rc < 0) {
		/* The batch is all or nothing; when it cannot be cut, nothing more goes. */
		if (i > 1 && !a->broken && (ftruncate(a->fd, st.st_size) < 0 || fsync(a->fd) < 0))
			a->broken = true;
		for (size_t k = 0; k < n; k++)
			items[k]->intent_seq = 0;
		a->seq = seq0;
		memcpy(a->prev, prev0, sizeof(prev0));
		return rc;
	}
	pthread_mutex_lock(&a->mu);
	if (a->seq > a->sync_want)
		a->sync_want = a->seq;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int audit_wait_durable(struct audit *a, long long seq)
{
	int e;

	pthread_mutex_lock(&a->mu);
	while (a->synced < seq && !a->sync_errno)
		pthread_cond_wait(&a->cond, &a->mu);
	e = a->synced < seq ? a->sync_errno : 0;
	pthread_mutex_unlock(&a->mu);
	if (e)
		return err_set(MW_EIO, "cannot sync audit log '%s': %s (the record is not on disk)",
			       a->path, strerror(e));
	return 0;
}

int audit_intents(struct audit *a, struct apply_item *const *items, size_t n)
{
	int rc = audit_intents_ahead(a, items, n);

	if (rc == 0 && n)
		rc = audit_wait_durable(a, items[n - 1]->intent_seq);
	return rc;
}

int audit_intent(struct audit *a, struct apply_item *item)
{
	return audit_intents(a, &item, 1);
}

int audit_sent(struct audit *a, const struct apply_item *item)
{
	json_t *o = json_object();
	char stamp[32];

	time_format_now_ms(stamp);
	json_object_set_new(o, "event", json_string("sent"));
	json_object_set_new(o, "time", json_string(stamp));
	json_object_set_new(o, "run_id", json_string(a->ctx.run_id));
	json_object_set_new(o, "intent_seq", json_integer(item->intent_seq));
	json_object_set_new(o, "domain", json_string(item->change->domain));
	json_object_set_new(o, "method", json_string(method_name(item->op.method)));
	json_object_set_new(o, "path", str_or_null(item->op.path));
	return write_record(a, o);
}

int audit_result(struct audit *a, const struct apply_item *item)
{
	return write_record(a, audit_entry(&a->ctx, item, "result"));
}

int audit_close(struct audit *a)
{
	int rc = 0, fd;

	if (!a)
		return 0;
	fd = a->fd;
	/* The thread first: no fsync may run on a descriptor being closed. */
	free_audit_thread(a);
	if (!a->broken && fsync(fd) < 0)
		rc = err_set(MW_EIO, "cannot sync audit log '%s': %s", a->path, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = err_set(MW_EIO, "cannot close audit log '%s': %s", a->path, strerror(errno));
	free_audit(a);
	return rc;
}
