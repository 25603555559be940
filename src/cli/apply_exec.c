#include "cli/apply_exec.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/apply.h"
#include "core/audit.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct progress {
	const struct cli_opts *o;
	struct audit *audit;
	size_t total, done, failed;
	double started;
	bool tty;
	bool audit_failed;
};

static const char *actor_name(const struct cli_opts *o)
{
	static const char *const vars[] = { "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER" };

	if (o->actor && *o->actor)
		return o->actor;
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return v;
	}
	return "unknown";
}

static void clear_progress(struct progress *pr)
{
	if (pr->tty && pr->done)
		fputs("\r\033[K", stderr);
}

static void show_progress(struct progress *pr)
{
	double elapsed = time_mono() - pr->started;

	if (!pr->tty)
		return;
	fprintf(stderr, "\r\033[Kmailward: applied %zu/%zu, %zu failed, %.1f/s", pr->done,
		pr->total, pr->failed, elapsed > 0 ? (double)pr->done / elapsed : 0.0);
}

/*
 * One line per operation. Names, ids, error texts and cf-ray come from the
 * plan and the API: the line is escaped for the terminal as a whole (it
 * holds no control character of its own).
 */
static void print_result(const struct apply_item *it)
{
	const struct plan_change *c = it->change;
	const char *verb = c->action == PLAN_UPDATE ? "updated" : "deleted";
	struct buf line = BUF_INIT, shown = BUF_INIT;

	switch (it->outcome) {
	case APPLY_DONE:
		buf_printf(&line, "  ✓ %s %s (%s): HTTP %ld", verb, c->domain, c->id,
			   it->op.req.status);
		break;
	case APPLY_GONE:
		buf_printf(&line, "  ✓ deleted %s (%s): already gone (HTTP 404)", c->domain, c->id);
		break;
	case APPLY_FAILED:
		buf_printf(&line, "  ✗ %s %s (%s) failed: %s",
			   c->action == PLAN_UPDATE ? "update" : "delete", c->domain, c->id,
			   it->error);
		break;
	case APPLY_NOT_SENT:
	case APPLY_PENDING:
		buf_printf(&line, "  - %s %s (%s): %s",
			   c->action == PLAN_UPDATE ? "update" : "delete", c->domain, c->id,
			   it->error ? it->error : "not sent: interrupted");
		break;
	}
	if (it->op.req.cf_ray[0])
		buf_printf(&line, ", cf-ray %s", it->op.req.cf_ray);
	esc_append(&shown, line.ptr, 0);
	puts(shown.ptr);
	buf_release(&line);
	buf_release(&shown);
}

static int on_finished(struct apply_item *it, void *ctx)
{
	struct progress *pr = ctx;
	int rc = 0;

	pr->done++;
	if (it->outcome == APPLY_FAILED || it->outcome == APPLY_NOT_SENT)
		pr->failed++;
	/* After one failed record, the rest are only reported, once, here. */
	if (pr->audit && !pr->audit_failed && audit_record(pr->audit, it) < 0) {
		clear_progress(pr);
		cli_error("%s; stopping: no further operation is started", err_msg());
		pr->audit_failed = true;
	}
	if (pr->audit_failed)
		rc = -1;
	clear_progress(pr);
	print_result(it);
	fflush(stdout);
	show_progress(pr);
	return rc;
}

/* A line of the list of failures, escaped as print_result()'s are. */
static void print_failed(const struct apply_item *it)
{
	struct buf line = BUF_INIT, shown = BUF_INIT;

	buf_printf(&line, "  %s (%s): %s", it->change->domain, it->change->id,
		   it->error ? it->error : "not sent: interrupted");
	esc_append(&shown, line.ptr, 0);
	puts(shown.ptr);
	buf_release(&line);
	buf_release(&shown);
}

static void print_summary(const struct plan *p, const struct apply_item *items, size_t n)
{
	size_t updated = 0, deleted = 0, gone = 0, failed = 0, not_sent = 0;

	for (size_t i = 0; i < n; i++) {
		switch (items[i].outcome) {
		case APPLY_DONE:
			if (items[i].change->action == PLAN_UPDATE)
				updated++;
			else
				deleted++;
			break;
		case APPLY_GONE:
			gone++;
			break;
		case APPLY_FAILED:
			failed++;
			break;
		default:
			not_sent++;
			break;
		}
	}
	printf("\nApply: %zu updated, %zu deleted, %zu already gone, %zu failed, %zu not sent",
	       updated, deleted, gone, failed, not_sent);
	if (p->summary.missing)
		printf("; %zu missing domain%s not applied (onboard %s first)", p->summary.missing,
		       p->summary.missing == 1 ? "" : "s", p->summary.missing == 1 ? "it" : "them");
	puts(".");
	if (!failed && !not_sent)
		return;
	puts("Failed:");
	for (size_t i = 0; i < n; i++)
		if (items[i].outcome == APPLY_FAILED || items[i].outcome == APPLY_NOT_SENT)
			print_failed(&items[i]);
	puts("Run 'mailward plan' to see what is left.");
}

static void make_run_id(char out[17], const struct plan *p)
{
	char seed[256];
	char hex[HASH_HEX_SIZE];

	snprintf(seed, sizeof(seed), "%.6f-%ld-%s", time_mono(), (long)getpid(), p->digest);
	hash_sha256_hex(hex, seed, strlen(seed));
	snprintf(out, 17, "%.16s", hex + 7);
}

static void count_outcomes(struct apply_exec_opts *opts, const struct apply_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool update = items[i].change->action == PLAN_UPDATE;

		switch (items[i].outcome) {
		case APPLY_DONE:
			if (update)
				opts->updated++;
			else
				opts->deleted++;
			break;
		case APPLY_GONE:
			opts->gone++;
			break;
		case APPLY_FAILED:
			if (update)
				opts->update_failed++;
			else
				opts->delete_failed++;
			break;
		default:
			opts->not_sent++;
			break;
		}
	}
}

int apply_execute(struct session *s, struct plan *p, struct apply_exec_opts *opts)
{
	struct apply_item *items = NULL;
	struct progress pr = { 0 };
	struct audit_context actx;
	struct apply_hooks hooks;
	char run_id[17];
	size_t n = apply_items_new(&items, p);
	int rc, code = EXIT_ERROR;

	if (opts)
		memset(opts, 0, sizeof(*opts));
	if (n == 0) {
		cli_info(s->o, "nothing to apply%s",
			 p->summary.missing ? " (missing domains must be "
					      "onboarded first)"
					    : "");
		code = EXIT_OK;
		goto done;
	}
	apply_attach_live(items, n, &s->live);
	make_run_id(run_id, p);
	actx.actor = actor_name(s->o);
	actx.run_id = run_id;
	actx.plan = p;
	rc = 0;
	if (s->o->audit_log)
		rc = audit_open(&pr.audit, s->o->audit_log, &actx);
	if (rc < 0) {
		cli_report(s->o);
		code = exit_code_for(rc);
		goto done;
	}
	pr.o = s->o;
	pr.total = n;
	pr.started = time_mono();
	pr.tty = !s->o->quiet && isatty(STDERR_FILENO);
	hooks.finished = on_finished;
	hooks.ctx = &pr;
	printf("Applying %zu operation%s (run %s, plan %s):\n", n, n == 1 ? "" : "s", run_id,
	       p->digest);
	fflush(stdout);
	if (opts)
		snprintf(opts->run_id, sizeof(opts->run_id), "%s", run_id);
	rc = apply_run(s->api, items, n, &hooks);
	clear_progress(&pr);
	if (opts)
		count_outcomes(opts, items, n);
	if (audit_close(pr.audit) < 0 && !pr.audit_failed) {
		cli_report(s->o);
		pr.audit_failed = true;
	}
	if (rc < 0) {
		cli_report(s->o);
		goto done;
	}
	print_summary(p, items, n);
	if (pr.audit_failed) {
		code = EXIT_ERROR;
	} else if (pr.failed) {
		cli_error("%zu of %zu operation%s failed or %s not sent", pr.failed, n,
			  n == 1 ? "" : "s", pr.failed == 1 ? "was" : "were");
		code = EXIT_PARTIAL;
	} else {
		code = EXIT_OK;
	}
done:
	apply_items_free(items, n);
	return code;
}
