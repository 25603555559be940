/*
 * The reading side of audit.h: audit_verify() checks a log's hash chain and
 * pairs every intent with its result.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/esc.h"
#include "util/mem.h"

#define ZERO_HASH "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* A log larger than this is refused rather than read into memory. */
#define AUDIT_MAX_FILE (1024u << 20)

struct line {
	const char *text;
	size_t len;
	char hash[HASH_HEX_SIZE];
	json_t *rec; /* borrowed from the report's records, or NULL: not JSON */
};

static int read_log(char **out, size_t *len, const char *path)
{
	struct buf b = BUF_INIT;
	struct stat st;
	char chunk[65536];
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return err_set(MW_EIO, "audit log '%s' is a symbolic link: give the file itself",
			       path);
	if (fd < 0)
		return err_set(MW_EIO, "cannot open audit log '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(MW_EIO, "audit log '%s' is not a regular file", path);
		goto done;
	}
	if ((unsigned long long)st.st_size > AUDIT_MAX_FILE) {
		rc = err_set(MW_EIO, "audit log '%s' is larger than %u MiB", path,
			     AUDIT_MAX_FILE >> 20);
		goto done;
	}
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_set(MW_EIO, "cannot read audit log '%s': %s", path,
				     strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		buf_add(&b, chunk, (size_t)r);
		if (b.len > AUDIT_MAX_FILE) {
			rc = err_set(MW_EIO, "audit log '%s' is larger than %u MiB", path,
				     AUDIT_MAX_FILE >> 20);
			goto done;
		}
	}
	*len = b.len;
	*out = buf_detach(&b, NULL);
done:
	buf_release(&b);
	close(fd);
	return rc;
}

static void set_broken(struct audit_report *r, size_t line, char *why)
{
	if (r->broken) {
		free(why);
		return;
	}
	r->broken = line;
	r->broken_why = why;
}

static long long seq_of(const json_t *rec)
{
	const json_t *v = json_object_get(rec, "seq");

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static const char *str_of(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : "?";
}

/* Line j's prev does not match line j-1: blame j-1 unless j's own hash is wrong too. */
static void blame_prev(struct audit_report *r, const struct line *lines, size_t n, size_t j)
{
	const json_t *next = j + 1 < n ? lines[j + 1].rec : NULL;
	const char *next_prev = next ? json_string_value(json_object_get(next, "prev")) : NULL;

	if (j + 1 >= n || (next_prev && !strcmp(next_prev, lines[j].hash)))
		set_broken(r, j,
			   xasprintf("record %zu was changed after it was written (the next "
				     "record's prev does not match its hash)",
				     j));
	else
		set_broken(r, j + 1,
			   xasprintf("record %zu was changed after it was written (its prev "
				     "does not match the hash of line %zu)",
				     j + 1, j));
}

/* The line (1-based) of the record with `seq`, or 0. */
static size_t line_of_seq(const struct line *lines, size_t n, size_t seq)
{
	for (size_t j = 0; j < n; j++)
		if (lines[j].rec && seq_of(lines[j].rec) == (long long)seq)
			return j + 1;
	return 0;
}

static void check_chain(struct audit_report *r, const struct line *lines, size_t n)
{
	for (size_t j = 0; j < n && !r->broken; j++) {
		const json_t *rec = lines[j].rec;
		const char *prev = rec ? json_string_value(json_object_get(rec, "prev")) : NULL;
		const char *want = j ? lines[j - 1].hash : ZERO_HASH;
		size_t moved;
		long long seq;

		if (!rec) {
			set_broken(r, j + 1,
				   xstrdup("not a JSON record: changed, or torn by a crash"));
			break;
		}
		seq = seq_of(rec);
		if (seq < 1 || !prev) {
			set_broken(r, j + 1,
				   xstrdup("a record without seq or prev: not part of "
					   "a hash chain"));
		} else if (seq > (long long)(j + 1) && (moved = line_of_seq(lines, n, j + 1))) {
			set_broken(r, j + 1,
				   xasprintf("record seq %lld where %zu was expected: records were "
					     "reordered (seq %zu is on line %zu)",
					     seq, j + 1, j + 1, moved));
		} else if (seq > (long long)(j + 1)) {
			set_broken(r, j + 1,
				   xasprintf("record seq %lld where %zu was expected: %lld "
					     "record%s before it %s removed",
					     seq, j + 1, seq - (long long)(j + 1),
					     seq - (long long)(j + 1) == 1 ? "" : "s",
					     seq - (long long)(j + 1) == 1 ? "was" : "were"));
		} else if (seq < (long long)(j + 1)) {
			set_broken(r, j + 1,
				   xasprintf("record seq %lld where %zu was expected: records were "
					     "reordered or repeated",
					     seq, j + 1));
		} else if (strcmp(prev, want)) {
			if (j == 0)
				set_broken(r, 1,
					   xstrdup("the first record's prev is not 64 zeros: "
						   "records before it were removed"));
			else
				blame_prev(r, lines, n, j);
		}
	}
}

static void add_unknown(struct audit_report *r, size_t line, char *message)
{
	ARRAY_GROW(r->unknown, r->n_unknown + 1, r->unknown_alloc);
	r->unknown[r->n_unknown].line = line;
	r->unknown[r->n_unknown].message = message;
	r->n_unknown++;
}

/* Every intent must have a result that names its seq; a "sent" record says it left. */
static void pair_intents(struct audit_report *r, const struct line *lines, size_t n)
{
	json_t *answered = json_object(), *sent = json_object();
	char key[32];

	for (size_t j = 0; j < n; j++) {
		const json_t *rec = lines[j].rec;
		const json_t *iseq = rec ? json_object_get(rec, "intent_seq") : NULL;
		const char *event = rec ? str_of(rec, "event") : "";

		if (!json_is_integer(iseq) || (strcmp(event, "result") && strcmp(event, "sent")))
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(iseq));
		json_object_set_new(strcmp(event, "sent") ? answered : sent, key, json_true());
	}
	for (size_t j = 0; j < n; j++) {
		const json_t *rec = lines[j].rec;

		if (!rec || strcmp(str_of(rec, "event"), "intent"))
			continue;
		snprintf(key, sizeof(key), "%lld", seq_of(rec));
		if (json_object_get(answered, key))
			continue;
		{
			char *method = esc_str(str_of(rec, "method"));
			char *path = esc_str(str_of(rec, "path"));
			char *domain = esc_str(str_of(rec, "domain"));
			char *run = esc_str(str_of(rec, "run_id"));

			add_unknown(
				r, j + 1,
				xasprintf("intent without a result: %s %s (domain %s, run %s) %s",
					  method, path, domain, run,
					  json_object_get(sent, key)
						  ? "was sent; its outcome is unknown"
						  : "was written ahead, with no record of being "
						    "sent (most likely it was not, but a crash "
						    "of the machine can lose that record); its "
						    "outcome is unknown"));
			free(method);
			free(path);
			free(domain);
			free(run);
		}
	}
	json_decref(answered);
	json_decref(sent);
}

int audit_verify(struct audit_report *out, const char *path)
{
	struct line *lines = NULL;
	size_t n = 0, alloc = 0, len = 0, start = 0;
	char *text = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->records = json_array();
	rc = read_log(&text, &len, path);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		ARRAY_GROW(lines, n + 1, alloc);
		lines[n].text = text + start;
		lines[n].len = i - start;
		hash_sha256_hex(lines[n].hash, lines[n].text, lines[n].len);
		lines[n].rec =
			json_loadb(lines[n].text, lines[n].len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(lines[n].rec)) {
			json_decref(lines[n].rec);
			lines[n].rec = NULL;
		} else {
			json_object_set_new(lines[n].rec, "_line", json_integer((json_int_t)n + 1));
			json_array_append_new(out->records, lines[n].rec);
		}
		n++;
		start = i + 1;
	}
	check_chain(out, lines, n);
	if (start < len)
		set_broken(out, n + 1,
			   xasprintf("torn record: the last line has no newline (%zu bytes)",
				     len - start));
	pair_intents(out, lines, n);
	out->n_records = n;
	snprintf(out->head, sizeof(out->head), "%s", n ? lines[n - 1].hash : ZERO_HASH);
	free(lines);
	free(text);
	return 0;
}

int audit_report_ok(const struct audit_report *r)
{
	return !r->broken && !r->n_unknown;
}

void audit_report_release(struct audit_report *r)
{
	if (!r)
		return;
	json_decref(r->records);
	free(r->broken_why);
	for (size_t i = 0; i < r->n_unknown; i++)
		free(r->unknown[i].message);
	free(r->unknown);
	memset(r, 0, sizeof(*r));
}
