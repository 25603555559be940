/*
 * audit_log: audit log files (core/audit.h audit_verify, audit_open's torn
 * tail repair) and the revert builder on what they hold (core/revert.h).
 *
 * The input is an audit log's bytes, written to a temporary file (0600). The target
 *   1. verifies it: a whole chain means every line is a record whose seq is
 *      its line and whose prev is the hash of the line before; every intent
 *      reported unknown is an intent record;
 *   2. opens it for appending: what is left is a prefix of the input that
 *      ends with a newline (a torn tail cut), or the input untouched when
 *      the open is refused;
 *   3. builds the revert of every run it names against an empty live
 *      state: a plan of kind revert that survives the plan file round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/revert.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_env();
	return 0;
}

static void spit(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t r;

	if (!f)
		abort();
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, r);
	fclose(f);
	*len = b.len;
	buf_putc(&b, '\0');
	return buf_detach(&b, NULL);
}

static const char *event_of(const json_t *rec)
{
	const char *e = json_string_value(json_object_get(rec, "event"));

	return e ? e : "";
}

static void check_report(const struct audit_report *r)
{
	size_t i;
	json_t *rec;

	FUZZ_CHECK(!r->broken == !r->broken_why, "audit-contract", "broken without a reason");
	if (r->broken)
		return;
	FUZZ_CHECK(json_array_size(r->records) == r->n_records, "audit-contract",
		   "a whole chain with a line that is not a record");
	json_array_foreach(r->records, i, rec) {
		FUZZ_CHECK(json_integer_value(json_object_get(rec, "seq")) == (json_int_t)i + 1,
			   "audit-contract", "a whole chain with seq %lld on line %zu",
			   (long long)json_integer_value(json_object_get(rec, "seq")), i + 1);
	}
	for (i = 0; i < r->n_unknown; i++) {
		rec = json_array_get(r->records, r->unknown[i].line - 1);
		FUZZ_CHECK(rec && !strcmp(event_of(rec), "intent"), "audit-contract",
			   "an unknown outcome on line %zu that is no intent", r->unknown[i].line);
	}
}

static void check_reverts(const json_t *records)
{
	struct live live = LIVE_INIT;
	size_t i;
	json_t *rec;

	json_array_foreach(records, i, rec) {
		const char *run = json_string_value(json_object_get(rec, "run_id"));
		struct revert_notes notes = { 0 };
		struct plan p;
		int rc;

		if (!run || i > 16)
			continue;
		rc = revert_build(&p, &notes, records, run, &live);
		FUZZ_CHECK(rc == 0 || rc == MW_EPLAN, "revert-contract",
			   "revert_build() returned %d", rc);
		if (rc == 0) {
			FUZZ_CHECK(p.kind == PLAN_KIND_REVERT && p.nr == 0, "revert-contract",
				   "a revert against no live domain holds changes");
			plan_release(&p);
		}
		revert_notes_release(&notes);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_context ctx = { "fuzz", "0011223344556677", NULL };
	struct audit_report r;
	struct audit *a = NULL;
	struct buf warnings = BUF_INIT;
	char *path, *after;
	size_t len;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	path = xstrdup("/tmp/mailward-fuzz-audit-XXXXXX");
	rc = mkstemp(path);
	if (rc < 0)
		abort();
	close(rc);
	spit(path, data, size);
	rc = audit_verify(&r, path);
	FUZZ_CHECK(rc == 0, "audit-contract", "a regular file could not be verified: %s",
		   err_msg());
	check_report(&r);
	check_reverts(r.records);
	audit_report_release(&r);
	rc = audit_open(&a, path, &ctx, 0, &warnings);
	FUZZ_CHECK(rc == 0 || rc == MW_EIO, "audit-contract", "audit_open() returned %d", rc);
	audit_close(a);
	after = slurp(path, &len);
	FUZZ_CHECK(len <= size && (len == 0 || !memcmp(after, data, len)), "audit-contract",
		   "opening the log changed what it kept");
	FUZZ_CHECK(rc < 0 || len == 0 || after[len - 1] == '\n', "audit-contract",
		   "an open log does not end with a newline");
	FUZZ_CHECK(rc < 0 || len == size || warnings.len, "audit-contract",
		   "a torn tail was cut without a warning");
	free(after);
	buf_release(&warnings);
	unlink(path);
	free(path);
	err_clear();
	return 0;
}
