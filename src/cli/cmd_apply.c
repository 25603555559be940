#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/apply_revert.h"
#include "cli/cli.h"
#include "cli/session.h"
#include "core/apply.h"
#include "core/audit.h"
#include "core/fields.h"
#include "core/http.h"
#include "core/policy.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/err.h"
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

static void show_progress(struct progress *pr)
{
	double elapsed = time_mono() - pr->started;

	if (!pr->tty)
		return;
	fprintf(stderr, "\r\033[Kmailward: applied %zu/%zu, %zu failed, %.1f/s", pr->done,
		pr->total, pr->failed, elapsed > 0 ? (double)pr->done / elapsed : 0.0);
}

static void print_result(const struct apply_item *it)
{
	const struct plan_change *c = it->change;
	const char *verb = c->action == PLAN_UPDATE ? "updated" : "deleted";

	switch (it->outcome) {
	case APPLY_DONE:
		printf("  ✓ %s %s (%s): HTTP %ld", verb, c->domain, c->id, it->op.req.status);
		break;
	case APPLY_GONE:
		printf("  ✓ deleted %s (%s): already gone (HTTP 404)", c->domain, c->id);
		break;
	case APPLY_FAILED:
		printf("  ✗ %s %s (%s) failed: %s", c->action == PLAN_UPDATE ? "update" : "delete",
		       c->domain, c->id, it->error);
		break;
	case APPLY_NOT_SENT:
	case APPLY_PENDING:
		printf("  - %s %s (%s): %s", c->action == PLAN_UPDATE ? "update" : "delete",
		       c->domain, c->id, it->error ? it->error : "not sent: interrupted");
		break;
	}
	if (it->op.req.cf_ray[0])
		printf(", cf-ray %s", it->op.req.cf_ray);
	putchar('\n');
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

/* `yes` typed on a terminal, or --auto-approve; nothing else. */
static int confirm(const struct cli_opts *o)
{
	char line[64];

	if (o->auto_approve)
		return 0;
	if (!isatty(STDIN_FILENO))
		return err_set(MW_ECANCELLED,
			       "refusing to apply without confirmation: standard input "
			       "is not a terminal; review a saved plan and run 'mailward apply "
			       "PLANFILE', or pass --auto-approve");
	fputs("\nApply these changes to the live account? Only 'yes' is accepted: ", stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return err_set(MW_ECANCELLED, "not applied: no answer");
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "yes"))
		return err_set(MW_ECANCELLED, "not applied: the answer was not 'yes'");
	return 0;
}

/* A saved plan must target the account and API this run is configured for. */
static int check_target(const struct session *s, const struct plan *p)
{
	if (strcmp(p->account_id, s->account_id))
		return err_set(MW_ESTALE,
			       "the plan is for account %s, but this run is configured "
			       "for account %s; nothing was applied",
			       p->account_id, s->account_id);
	if (strcmp(p->api_url, s->api_url))
		return err_set(MW_ESTALE,
			       "the plan is for API %s, but this run uses %s; nothing was "
			       "applied",
			       p->api_url, s->api_url);
	return 0;
}

/*
 * A revert plan is vouched for by the audit log of the run it reverts
 * (apply_revert.h); a drift report is not a plan to apply.
 */
static int check_kind(struct session *s, const struct plan *p)
{
	struct plan rebuilt;
	int rc;

	if (p->kind == PLAN_KIND_DRIFT)
		return err_set(MW_EPLAN, "this is a drift report, not a plan: make one with "
					 "'mailward plan --out FILE'");
	if (p->kind != PLAN_KIND_REVERT)
		return 0;
	rc = apply_revert_verify(s, p, s->o->audit_log, &rebuilt);
	plan_release(&rebuilt);
	return rc;
}

/*
 * Policies again, against live state as re-read now: a policy added since
 * the plan was made, or a change on the live side, can deny it.
 */
static int recheck_policy(struct session *s, const struct plan *p, struct apply_item *items,
			  size_t n)
{
	struct policy_subject *subjects = xcalloc(n + 1, sizeof(*subjects));
	size_t ns = 0, violations;
	json_t *findings, *viol, *v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i].change->action != PLAN_UPDATE || !items[i].live)
			continue;
		subjects[ns].domain = items[i].change->domain;
		subjects[ns].id = items[i].change->id;
		subjects[ns].state = fields_writable_of(items[i].live);
		json_object_update(subjects[ns].state, items[i].change->body);
		ns++;
	}
	findings = policy_findings(&s->policies, p, subjects, ns, p->live_count);
	policy_subjects_free(subjects, ns);
	viol = json_object_get(findings, "violations");
	violations = json_array_size(viol);
	json_array_foreach(viol, i, v)
		cli_error("deny: %s", json_string_value(json_object_get(v, "message")));
	json_decref(findings);
	if (!violations)
		return 0;
	return err_set(MW_EDENIED,
		       "the plan is denied by policy (%zu violation%s); nothing was "
		       "applied",
		       violations, violations == 1 ? "" : "s");
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
			printf("  %s (%s): %s\n", items[i].change->domain, items[i].change->id,
			       items[i].error ? items[i].error : "not sent: interrupted");
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

/*
 * One writer at a time: the account's lock, then the audit log's (opened,
 * its torn tail cut). Both wait up to --lock-timeout in all.
 */
static int take_locks(struct session *s, const struct plan *p, struct lock_file **lock,
		      struct audit **audit, const struct audit_context *actx)
{
	double deadline = time_mono() + s->o->lock_timeout_s;
	struct buf warnings = BUF_INIT;
	char *path = account_lock_path(s->o, p->account_id);
	double left;
	int rc;

	rc = lock_file_acquire(lock, path, s->o->lock_timeout_s);
	free(path);
	if (rc < 0 || !s->o->audit_log)
		return rc;
	left = deadline - time_mono();
	rc = audit_open(audit, s->o->audit_log, actx, left > 0 ? left : 0, &warnings);
	print_warnings(&warnings);
	buf_release(&warnings);
	return rc;
}

/*
 * Carry out a plan whose target is checked: take the locks, refuse a
 * denied or stale plan, then send its operations, each written ahead to
 * the audit log. Prints errors itself; returns the exit code.
 */
static int execute(struct session *s, struct plan *p)
{
	struct apply_item *items = NULL;
	struct progress pr = { 0 };
	struct lock_file *lock = NULL;
	struct audit_context actx;
	struct apply_hooks hooks;
	char run_id[17];
	size_t n = apply_items_new(&items, p);
	int rc, code = EXIT_ERROR;

	if (plan_violations(p)) {
		cli_error("the plan was denied by policy when it was made; nothing was applied");
		code = EXIT_DENIED;
		goto done;
	}
	if (n == 0) {
		cli_info(s->o, "nothing to apply%s",
			 p->summary.missing ? " (missing domains must be "
					      "onboarded first)"
					    : "");
		code = EXIT_OK;
		goto done;
	}
	make_run_id(run_id, p);
	actx.actor = actor_name(s->o);
	actx.run_id = run_id;
	actx.plan = p;
	/* Locked before live is re-read: a run that waited sees what the other did. */
	rc = take_locks(s, p, &lock, &pr.audit, &actx);
	if (rc == 0)
		rc = apply_refresh(s->api, items, n, p->live_count);
	if (rc == 0)
		rc = recheck_policy(s, p, items, n);
	if (rc < 0) {
		cli_report(s->o);
		code = exit_code_for(rc);
		goto done;
	}
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
	printf("Applying %zu operation%s (run %s, plan %s):\n", n, n == 1 ? "" : "s", run_id,
	       p->digest);
	fflush(stdout);
	rc = apply_run(s->api, items, n, &hooks);
	clear_progress(&pr);
	if (audit_close(pr.audit) < 0 && !pr.audit_failed) {
		cli_report(s->o);
		pr.audit_failed = true;
	}
	pr.audit = NULL;
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
	audit_close(pr.audit);
	lock_file_release(lock);
	apply_items_free(items, n);
	return code;
}

int cmd_apply(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(), 0 };
	const char *planfile = o->n_args == 1 ? o->args[0] : NULL;
	const char *ancestor = o->require_ancestor;
	struct plan p = { 0 };
	struct buf out = BUF_INIT;
	struct session s;
	int rc, code = EXIT_ERROR;

	if (o->n_args > 1) {
		fprintf(stderr, "mailward apply: takes at most one plan file (see 'mailward apply "
				"--help')\n");
		return EXIT_ERROR;
	}
	session_init(&s, o);
	if (planfile) {
		rc = plan_load_file(&p, planfile);
		if (rc < 0)
			goto fail;
		/* The policies and the account are read where the plan's documents were. */
		if (!o->path && p.source.path && !p.source.worktree)
			o->path = p.source.path;
	}
	/* A saved plan's own commit is what --require-ancestor vouches for. */
	if (planfile)
		o->require_ancestor = NULL;
	rc = session_load_desired(&s, stderr);
	o->require_ancestor = ancestor;
	if (rc < 0)
		goto fail;
	if (planfile) {
		if (ancestor) {
			struct source_opts so = { .repo = o->repo,
						  .cache_dir = o->cache_dir,
						  .require_ancestor = ancestor };

			rc = source_check_ancestor(&so, p.source.commit);
			if (rc < 0)
				goto fail;
		}
		rc = session_resolve_account(&s, false);
		if (rc < 0)
			goto fail;
		if (!s.account_id)
			s.account_id = xstrdup(p.account_id);
		rc = session_connect(&s);
		if (rc == 0)
			rc = check_target(&s, &p);
		if (rc == 0)
			rc = check_kind(&s, &p);
		if (rc < 0)
			goto fail;
		cli_info(o, "applying plan %s (%s, commit %.12s)", planfile, p.digest,
			 p.source.commit ? p.source.commit : "none");
	} else {
		rc = session_run_plan(&s, &p);
		if (rc < 0)
			goto fail;
		render_plan(&out, &p, RENDER_TEXT, &ro);
		fwrite(out.ptr, 1, out.len, stdout);
		fflush(stdout);
		if (plan_violations(&p)) {
			rc = err_set(MW_EDENIED,
				     "the plan is denied by policy; nothing was applied");
			goto fail;
		}
		if (p.summary.update + p.summary.del == 0) {
			cli_info(o, "nothing to apply");
			code = EXIT_OK;
			goto done;
		}
		rc = confirm(o);
		if (rc < 0)
			goto fail;
	}
	code = execute(&s, &p);
	goto done;
fail:
	cli_report(o);
	code = exit_code_for(rc);
done:
	buf_release(&out);
	plan_release(&p);
	session_release(&s);
	return code;
}
