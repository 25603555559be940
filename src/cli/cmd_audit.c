#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/mem.h"

static int usage(const char *why)
{
	cli_usage_error(cli_find_command("audit"), "%s", why);
	return EXIT_ERROR;
}

static int audit_verify_cmd(struct cli_opts *o, const char *path)
{
	struct audit_report r;
	int code;

	if (o->format || o->n_domains || o->run_id)
		return usage("verify takes only the audit log file");
	if (audit_verify(&r, path) < 0) {
		cli_report(o);
		audit_report_release(&r);
		return EXIT_ERROR;
	}
	if (r.broken)
		printf("%s:%zu: %s\n", path, r.broken, r.broken_why);
	for (size_t i = 0; i < r.n_unknown; i++)
		printf("%s:%zu: %s\n", path, r.unknown[i].line, r.unknown[i].message);
	if (audit_report_ok(&r)) {
		printf("%s: %zu record%s, the hash chain is whole and every intent has its result "
		       "(last record %s)\n",
		       path, r.n_records, r.n_records == 1 ? "" : "s", r.head);
		code = EXIT_OK;
	} else {
		printf("%s: %s%s%s\n", path, r.broken ? "the hash chain is broken" : "",
		       r.broken && r.n_unknown ? "; " : "",
		       r.n_unknown ? "some requests have no recorded outcome" : "");
		code = EXIT_ERROR;
	}
	audit_report_release(&r);
	return code;
}

static const char *str_of(const json_t *rec, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : dflt;
}

static bool selected(const struct cli_opts *o, const json_t *rec)
{
	const char *domain = str_of(rec, "domain", "");
	bool any = o->n_domains == 0;

	if (o->run_id && strcmp(o->run_id, str_of(rec, "run_id", "")))
		return false;
	for (size_t i = 0; i < o->n_domains && !any; i++)
		any = fnmatch(o->domains[i], domain, FNM_CASEFOLD) == 0;
	return any;
}

/* [{field, before, after}] of one operation: what it changed from what to what. */
static json_t *changes_of(const json_t *rec, bool applied)
{
	const json_t *body = json_object_get(rec, "request_body");
	const json_t *before = json_object_get(rec, "before");
	const json_t *after = json_object_get(rec, "after");
	json_t *out = json_array();
	const char *k;
	json_t *want;

	json_object_foreach((json_t *)body, k, want) {
		json_t *b = json_object_get(before, k);
		json_t *a = applied && json_is_object(after) ? json_object_get(after, k) : want;

		json_array_append_new(out,
				      json_pack("{s:s, s:O, s:O}", "field", k, "before",
						b ? b : json_null(), "after", a ? a : json_null()));
	}
	return out;
}

/* The history entry of an operation: its result record, or an intent with no result. */
static json_t *entry_of(const json_t *rec, bool unknown)
{
	const char *outcome = unknown ? "unknown" : str_of(rec, "outcome", "unknown");
	json_t *e = json_object();
	const char *keys[] = { "time",   "run_id", "actor",     "commit",   "plan_digest",
			       "action", "domain", "domain_id", "revert_of" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(rec, keys[i]);

		if (v || strcmp(keys[i], "revert_of"))
			json_object_set(e, keys[i], v ? v : json_null());
	}
	json_object_set_new(e, "changes", changes_of(rec, !strcmp(outcome, "applied")));
	json_object_set_new(e, "outcome", json_string(outcome));
	json_object_set(e, "status", unknown ? json_null() : json_object_get(rec, "status"));
	json_object_set(e, "cf_ray", unknown ? json_null() : json_object_get(rec, "cf_ray"));
	json_object_set(e, "error", unknown ? json_null() : json_object_get(rec, "error"));
	json_object_set(e, "line", json_object_get(rec, "_line"));
	return e;
}

/* Every operation of the log, in file order: results, and intents nobody answered. */
static json_t *history(const struct cli_opts *o, const json_t *records)
{
	json_t *answered = json_object();
	json_t *out = json_array();
	char key[32];
	size_t i;
	json_t *rec;

	json_array_foreach(records, i, rec) {
		json_t *iseq = json_object_get(rec, "intent_seq");

		if (json_is_integer(iseq)) {
			snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(iseq));
			json_object_set_new(answered, key, json_true());
		}
	}
	json_array_foreach(records, i, rec) {
		const char *event = str_of(rec, "event", "result");
		bool unknown = false;

		if (!strcmp(event, "sent"))
			continue;
		if (!strcmp(event, "intent")) {
			snprintf(key, sizeof(key), "%lld",
				 (long long)json_integer_value(json_object_get(rec, "seq")));
			if (json_object_get(answered, key))
				continue;
			unknown = true;
		}
		if (selected(o, rec))
			json_array_append_new(out, entry_of(rec, unknown));
	}
	json_decref(answered);
	return out;
}

static void put_value(struct buf *b, const json_t *v)
{
	struct buf text = BUF_INIT;

	fields_format_value(&text, v);
	esc_append(b, text.ptr ? text.ptr : "", 0);
	buf_release(&text);
}

static void print_run_header(struct buf *b, const json_t *e, bool first)
{
	const char *commit = str_of(e, "commit", NULL);
	const char *revert_of = str_of(e, "revert_of", NULL);

	buf_puts(b, first ? "run " : "\nrun ");
	esc_append(b, str_of(e, "run_id", "?"), 0);
	buf_puts(b, " by ");
	esc_append(b, str_of(e, "actor", "?"), 0);
	buf_puts(b, ", commit ");
	esc_append(b, commit ? commit : "none", 0);
	buf_puts(b, ", plan ");
	esc_append(b, str_of(e, "plan_digest", "?"), 0);
	if (revert_of) {
		buf_puts(b, ", revert of run ");
		esc_append(b, revert_of, 0);
	}
	buf_putc(b, '\n');
}

static void print_history_text(const json_t *entries)
{
	const char *run = NULL;
	struct buf b = BUF_INIT;
	size_t i, j;
	json_t *e, *c;

	json_array_foreach(entries, i, e) {
		const char *this_run = str_of(e, "run_id", "?");
		json_t *status = json_object_get(e, "status");
		const char *ray = str_of(e, "cf_ray", NULL);
		const char *error = str_of(e, "error", NULL);

		buf_truncate(&b, 0);
		if (!run || strcmp(run, this_run)) {
			print_run_header(&b, e, !run);
			run = this_run;
		}
		buf_puts(&b, "  ");
		esc_append(&b, str_of(e, "time", "?"), 0);
		buf_puts(&b, "  ");
		esc_append(&b, str_of(e, "action", "?"), 0);
		buf_putc(&b, ' ');
		esc_append(&b, str_of(e, "domain", "?"), 0);
		json_array_foreach(json_object_get(e, "changes"), j, c) {
			buf_puts(&b, j ? "; " : ": ");
			esc_append(&b, str_of(c, "field", "?"), 0);
			buf_putc(&b, ' ');
			put_value(&b, json_object_get(c, "before"));
			buf_puts(&b, " -> ");
			put_value(&b, json_object_get(c, "after"));
		}
		buf_puts(&b, "  [");
		esc_append(&b, str_of(e, "outcome", "?"), 0);
		if (json_is_integer(status))
			buf_printf(&b, ", HTTP %lld", (long long)json_integer_value(status));
		if (ray) {
			buf_puts(&b, ", cf-ray ");
			esc_append(&b, ray, 0);
		}
		if (error) {
			buf_puts(&b, ": ");
			esc_append(&b, error, 0);
		}
		buf_puts(&b, "]\n");
		fwrite(b.ptr, 1, b.len, stdout);
	}
	buf_release(&b);
}

static int audit_log_cmd(struct cli_opts *o, const char *path)
{
	struct audit_report r;
	json_t *entries;
	bool json;

	if (o->format && strcmp(o->format, "text") && strcmp(o->format, "json"))
		return usage("--format is text or json");
	json = o->format && !strcmp(o->format, "json");
	if (audit_verify(&r, path) < 0) {
		cli_report(o);
		audit_report_release(&r);
		return EXIT_ERROR;
	}
	if (r.broken)
		cli_error("warning: %s:%zu: %s; the history below cannot be trusted past it", path,
			  r.broken, r.broken_why);
	entries = history(o, r.records);
	if (json) {
		char *text = json_dumps(entries, JSON_INDENT(2) | JSON_ENSURE_ASCII);

		printf("%s\n", text);
		free(text);
	} else if (json_array_size(entries) == 0) {
		cli_info(o, "%s: no record matches", path);
	} else {
		print_history_text(entries);
	}
	json_decref(entries);
	audit_report_release(&r);
	return EXIT_OK;
}

int cmd_audit(struct cli_opts *o)
{
	if (o->n_args < 1)
		return usage("missing the sub-command: verify or log");
	if (strcmp(o->args[0], "verify") && strcmp(o->args[0], "log"))
		return usage("the sub-command is verify or log");
	if (o->n_args != 2)
		return usage(o->n_args < 2 ? "missing the audit log file"
					   : "takes one audit log file");
	if (!strcmp(o->args[0], "verify"))
		return audit_verify_cmd(o, o->args[1]);
	return audit_log_cmd(o, o->args[1]);
}
