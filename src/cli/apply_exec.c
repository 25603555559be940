#include "cli/apply_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply.h"
#include "core/audit.h"
#include "core/planner.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/hash.h"
#include "util/lock.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Intents written ahead in one batch (one fsync): the next requests, up to this many. */
#define LOOKAHEAD_MAX 128

struct progress {
	const struct cli_opts *o;
	struct audit *audit;
	struct apply_item *items; /* all of the run's, in the order they start */
	size_t n, lookahead;
	size_t next_unwritten; /* items before it have their intents written */
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

/* "7s", "2m05s", "1h02m": the time left, for people. */
static void format_eta(struct buf *out, double seconds)
{
	long s = (long)(seconds + 0.5);

	if (s < 60)
		buf_printf(out, "%lds", s);
	else if (s < 3600)
		buf_printf(out, "%ldm%02lds", s / 60, s % 60);
	else
		buf_printf(out, "%ldh%02ldm", s / 3600, s % 3600 / 60);
}

/*
 * On a terminal only: one line redrawn in place, with the rate so far and,
 * while some are left, the time they will take at that rate.
 */
static void show_progress(struct progress *pr)
{
	double elapsed = time_mono() - pr->started;
	double rate = elapsed > 0 ? (double)pr->done / elapsed : 0.0;
	struct buf line = BUF_INIT;

	if (!pr->tty)
		return;
	buf_printf(&line, "mailward: applied %zu/%zu, %zu failed, %.1f/s", pr->done, pr->total,
		   pr->failed, rate);
	if (rate > 0 && pr->done < pr->total) {
		buf_puts(&line, ", ETA ");
		format_eta(&line, (double)(pr->total - pr->done) / rate);
	}
	fprintf(stderr, "\r\033[K%s", line.ptr);
	buf_release(&line);
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

/*
 * Write the intents of up to `count` requests from item `from` on (those not
 * written yet; requests start in item order) and have them synced.
 */
static int write_ahead(struct progress *pr, size_t from, size_t count)
{
	struct apply_item *batch[LOOKAHEAD_MAX];
	size_t k = 0, i;
	int rc;

	for (i = from; i < pr->n && k < count; i++)
		if (!pr->items[i].intent_seq && pr->items[i].outcome == APPLY_PENDING)
			batch[k++] = &pr->items[i];
	rc = audit_intents_ahead(pr->audit, batch, k);
	if (rc == 0 && i > pr->next_unwritten)
		pr->next_unwritten = i;
	return rc;
}

/*
 * Write ahead: the intent is on disk before the request leaves, or it never
 * leaves. The intents of the next requests are written in batches and
 * synced by the log's thread while earlier requests are on the wire, so a
 * request seldom waits for the disk; a "sent" record, as it leaves, tells
 * after a crash which of them were sent.
 */
static int on_before_send(struct apply_item *it, void *ctx)
{
	struct progress *pr = ctx;
	size_t idx = (size_t)(it - pr->items);

	if (!pr->audit)
		return 0;
	if (pr->audit_failed)
		return -1;
	if (!it->intent_seq && write_ahead(pr, idx, pr->lookahead) < 0)
		goto failed;
	/* A failure here is met again, and reported, by the request it concerns. */
	if (pr->next_unwritten < pr->n && pr->next_unwritten - idx <= pr->lookahead / 2 &&
	    write_ahead(pr, pr->next_unwritten, pr->lookahead / 2) < 0)
		err_clear();
	if (audit_wait_durable(pr->audit, it->intent_seq) < 0 || audit_sent(pr->audit, it) < 0)
		goto failed;
	return 0;
failed:
	clear_progress(pr);
	cli_error("%s; stopping: this request and every later one are not sent", err_msg());
	pr->audit_failed = true;
	return -1;
}

static int on_finished(struct apply_item *it, void *ctx)
{
	struct progress *pr = ctx;
	int rc = 0;

	pr->done++;
	if (it->outcome == APPLY_FAILED || it->outcome == APPLY_NOT_SENT)
		pr->failed++;
	/* Results are still kept when they can be: a request in flight was sent. */
	if (pr->audit && audit_result(pr->audit, it) < 0 && !pr->audit_failed) {
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

/* Print each finding of the plan to carry out: a deny refuses it. */
int apply_check_verdict(const struct plan *p)
{
	size_t i, violations = plan_violations(p);
	json_t *v;

	json_array_foreach(json_object_get(p->policy, "violations"), i, v)
		cli_error("deny: %s", json_string_value(json_object_get(v, "message")));
	if (!violations)
		return 0;
	return err_set(MW_EDENIED,
		       "the plan is denied by policy (%zu violation%s); nothing was "
		       "applied",
		       violations, violations == 1 ? "" : "s");
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

/* What the run did, for the agent's metrics and notifications. */
static void count_outcomes(struct apply_exec_opts *opts, const struct apply_item *items, size_t n,
			   const char *run_id)
{
	if (!opts)
		return;
	memset(opts, 0, sizeof(*opts));
	snprintf(opts->run_id, sizeof(opts->run_id), "%s", run_id);
	for (size_t i = 0; i < n; i++) {
		bool update = items[i].change->action == PLAN_UPDATE;

		switch (items[i].outcome) {
		case APPLY_DONE:
			*(update ? &opts->updated : &opts->deleted) += 1;
			break;
		case APPLY_GONE:
			opts->gone++;
			break;
		case APPLY_FAILED:
			*(update ? &opts->update_failed : &opts->delete_failed) += 1;
			break;
		default:
			opts->not_sent++;
			break;
		}
	}
}

static void make_run_id(char out[17], const struct plan *p)
{
	char seed[256];
	char hex[HASH_HEX_SIZE];

	snprintf(seed, sizeof(seed), "%.6f-%ld-%s", time_mono(), (long)getpid(), p->digest);
	hash_sha256_hex(hex, seed, strlen(seed));
	snprintf(out, 17, "%.16s", hex + 7);
}

/* --lock-file, else locks/<account>.lock in the cache folder. A new string. */
static char *account_lock_path(const struct cli_opts *o, const char *account_id)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (o->lock_file)
		return xstrdup(o->lock_file);
	if (o->cache_dir)
		return xasprintf("%s/locks/%s.lock", o->cache_dir, account_id);
	if (xdg && *xdg == '/')
		return xasprintf("%s/mailward/locks/%s.lock", xdg, account_id);
	return xasprintf("%s/.cache/mailward/locks/%s.lock", home && *home ? home : "/tmp",
			 account_id);
}

/* Print the warnings audit_open() gathered, one line each. */
static void print_warnings(const struct buf *w)
{
	const char *line = w->ptr;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		cli_error("warning: %.*s", len, line);
		line = end ? end + 1 : line + len;
	}
}

int apply_take_account_lock(struct session *s, struct apply_locks *rl)
{
	char *path = account_lock_path(s->o, s->account_id);
	int rc;

	rl->deadline = time_mono() + s->o->lock_timeout_s;
	rc = lock_file_acquire(&rl->lock, path, s->o->lock_timeout_s);
	free(path);
	return rc;
}

int apply_open_audit_log(struct session *s, struct apply_locks *rl, const struct plan *p)
{
	struct buf warnings = BUF_INIT;
	double left = rl->deadline - time_mono();
	int rc;

	if (!s->o->audit_log)
		return 0;
	rl->actx.actor = actor_name(s->o);
	rl->actx.run_id = rl->run_id;
	rl->actx.plan = p;
	rc = audit_open(&rl->audit, s->o->audit_log, &rl->actx, left > 0 ? left : 0, &warnings);
	print_warnings(&warnings);
	buf_release(&warnings);
	return rc;
}

/* Both locks, in the order a second run waits for them. */
int apply_take_locks(struct session *s, struct apply_locks *rl, const struct plan *p)
{
	int rc = apply_take_account_lock(s, rl);

	return rc < 0 ? rc : apply_open_audit_log(s, rl, p);
}

void apply_release_locks(struct apply_locks *rl)
{
	audit_close(rl->audit);
	rl->audit = NULL;
	lock_file_release(rl->lock);
	rl->lock = NULL;
}

/*
 * Carry out a verified plan, the locks held: send its operations, each
 * written ahead to the audit log. Prints errors itself; returns the exit
 * code.
 */
int apply_execute(struct session *s, struct plan *p, struct apply_locks *rl,
		  struct apply_exec_opts *opts)
{
	struct apply_item *items = NULL;
	struct progress pr = { 0 };
	struct apply_hooks hooks;
	size_t n = apply_items_new(&items, p);
	int rc, code = EXIT_ERROR;

	if (n == 0) {
		cli_info(s->o, "nothing to apply%s",
			 p->summary.missing ? " (missing domains must be "
					      "onboarded first)"
					    : "");
		code = EXIT_OK;
		goto done;
	}
	apply_attach_live(items, n, &s->live);
	make_run_id(rl->run_id, p);
	pr.audit = rl->audit;
	pr.o = s->o;
	pr.items = items;
	pr.n = n;
	pr.lookahead = 4 * (size_t)s->o->concurrency;
	if (pr.lookahead > LOOKAHEAD_MAX)
		pr.lookahead = LOOKAHEAD_MAX;
	pr.total = n;
	pr.started = time_mono();
	pr.tty = !s->o->quiet && isatty(STDERR_FILENO);
	hooks.before_send = on_before_send;
	hooks.finished = on_finished;
	hooks.ctx = &pr;
	printf("Applying %zu operation%s (run %s, plan %s):\n", n, n == 1 ? "" : "s", rl->run_id,
	       p->digest);
	fflush(stdout);
	rc = apply_run(s->api, items, n, &hooks);
	clear_progress(&pr);
	rl->audit = NULL;
	if (audit_close(pr.audit) < 0 && !pr.audit_failed) {
		cli_report(s->o);
		pr.audit_failed = true;
	}
	if (rc < 0) {
		cli_report(s->o);
		goto done;
	}
	print_summary(p, items, n);
	count_outcomes(opts, items, n, rl->run_id);
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

/*
 * The plan to carry out for the saved plan `saved` (the session connected,
 * its live state read): built again from the desired state at its commit
 * and the live state now, keeping only the
 * saved changes that commit implies (planner_verify()). Nothing in the plan
 * file chooses where the documents or the policies are read from.
 */
int apply_verify_saved(struct session *s, const struct plan *saved, struct plan *out)
{
	struct plan_source src;
	struct planner_input in;
	struct buf notice = BUF_INIT;
	int rc;

	session_planner_input(s, &src, &in);
	rc = planner_verify(out, saved, &in, &notice);
	if (rc == 0 && notice.len) {
		cli_error("the commit implies changes that the plan does not hold (live "
			  "changed since it was made); they are not applied, run plan again "
			  "for them:");
		fputs(notice.ptr, stderr);
	}
	buf_release(&notice);
	if (rc == 0)
		rc = apply_check_verdict(out);
	return rc;
}

int apply_verified(struct session *s, const struct plan *proposed, struct apply_exec_opts *opts)
{
	struct apply_locks rl = { 0 };
	struct plan p = { 0 };
	int rc, code;

	if (opts)
		memset(opts, 0, sizeof(*opts));
	rc = apply_take_locks(s, &rl, &p);
	if (rc == 0) {
		live_release(&s->live);
		rc = session_read_live(s, false);
	}
	if (rc == 0)
		rc = apply_verify_saved(s, proposed, &p);
	if (rc < 0) {
		cli_report(s->o);
		code = exit_code_for(rc);
	} else {
		code = apply_execute(s, &p, &rl, opts);
	}
	apply_release_locks(&rl);
	plan_release(&p);
	return code;
}
