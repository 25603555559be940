#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Print each finding of the plan to carry out: a deny refuses it. */
static int check_verdict(const struct plan *p)
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

static void make_run_id(char out[17], const struct plan *p)
{
	char seed[256];
	char hex[HASH_HEX_SIZE];

	snprintf(seed, sizeof(seed), "%.6f-%ld-%s", time_mono(), (long)getpid(), p->digest);
	hash_sha256_hex(hex, seed, strlen(seed));
	snprintf(out, 17, "%.16s", hex + 7);
}

/*
 * Carry out a plan whose target is checked: refuse a denied or stale one,
 * then send its operations. Prints errors itself; returns the exit code.
 */
static int execute(struct session *s, struct plan *p)
{
	struct apply_item *items = NULL;
	struct progress pr = { 0 };
	struct audit_context actx;
	struct apply_hooks hooks;
	char run_id[17];
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
	rc = apply_run(s->api, items, n, &hooks);
	clear_progress(&pr);
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

/*
 * The plan to carry out for the saved plan `saved` (the session connected,
 * its live state read): built again from the desired state at its commit
 * and the live state now, keeping only the
 * saved changes that commit implies (planner_verify()). Nothing in the plan
 * file chooses where the documents or the policies are read from.
 */
static int verify_saved(struct session *s, const struct plan *saved, struct plan *out)
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
		rc = check_verdict(out);
	return rc;
}

/* Refuse a plan for another account, API or folder before reading anything live. */
static int check_target(const struct session *s, const struct plan *saved)
{
	struct plan_source src;
	struct planner_input in;

	session_planner_input(s, &src, &in);
	return planner_check_target(saved, &in);
}

/* A saved plan is read at its own commit, or from the working tree it was made from. */
static int check_saved_usage(const struct cli_opts *o, const struct plan *saved)
{
	char *path = NULL;
	int rc = source_normalize_path(&path, o->path);

	/* Before anything is read: the folder is this run's to say, never the plan's. */
	if (rc == 0 && strcmp(path, saved->source.path ? saved->source.path : ""))
		rc = err_set(MW_ESTALE,
			     "the plan was made from folder '%s', but this run reads '%s' (--path); "
			     "the desired state and the policies are read where this run says, "
			     "never where a plan says; nothing was applied",
			     saved->source.path ? saved->source.path : "", *path ? path : ".");
	free(path);
	if (rc < 0)
		return rc;
	if (o->n_domains)
		return err_set(MW_EUSAGE, "--domain does not apply to a saved plan: it is verified "
					  "with the patterns it was made for");
	if (!saved->source.commit && o->require_ancestor)
		return err_set(MW_EGIT,
			       "--require-ancestor %s: the plan records no commit (made from a "
			       "working tree?); refusing",
			       o->require_ancestor);
	if (saved->source.commit && o->worktree)
		return err_set(MW_EUSAGE,
			       "the plan was made from commit %.12s: apply it without "
			       "--worktree",
			       saved->source.commit);
	if (!saved->source.commit && !o->worktree)
		return err_set(MW_ESTALE,
			       "the plan records no commit (it was made with --worktree): apply "
			       "it with --worktree in that working tree, or plan from a commit; "
			       "nothing was applied");
	return 0;
}

int cmd_apply(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(), 0 };
	const char *planfile = o->n_args == 1 ? o->args[0] : NULL;
	struct plan saved = { 0 }, p = { 0 };
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
		rc = plan_load_file(&saved, planfile);
		if (rc == 0)
			rc = check_saved_usage(o, &saved);
		if (rc < 0)
			goto fail;
		/* Denied when it was made: refused whatever the policies say now. */
		rc = check_verdict(&saved);
		if (rc < 0)
			goto fail;
		rc = session_load_desired(&s, saved.source.commit, stderr);
		if (rc == 0)
			rc = session_resolve_account(&s, true);
		if (rc == 0)
			rc = session_connect(&s);
		if (rc == 0)
			rc = check_target(&s, &saved);
		if (rc == 0)
			rc = session_read_live(&s, false);
		if (rc == 0)
			rc = verify_saved(&s, &saved, &p);
		if (rc < 0)
			goto fail;
		cli_info(o, "applying plan %s (%s, commit %.12s): verified against the commit",
			 planfile, saved.digest, p.source.commit ? p.source.commit : "none");
	} else {
		rc = session_load_desired(&s, NULL, stderr);
		if (rc == 0)
			rc = session_run_plan(&s, &saved);
		if (rc < 0)
			goto fail;
		render_plan(&out, &saved, RENDER_TEXT, &ro);
		fwrite(out.ptr, 1, out.len, stdout);
		fflush(stdout);
		if (plan_violations(&saved)) {
			rc = err_set(MW_EDENIED,
				     "the plan is denied by policy; nothing was applied");
			goto fail;
		}
		if (saved.summary.update + saved.summary.del == 0) {
			cli_info(o, "nothing to apply");
			code = EXIT_OK;
			goto done;
		}
		rc = confirm(o);
		if (rc < 0)
			goto fail;
		if (o->auto_approve) {
			p = saved;
			memset(&saved, 0, sizeof(saved));
		} else {
			/* A person took time to answer: check the plan against live state now. */
			live_release(&s.live);
			rc = session_read_live(&s, false);
			if (rc == 0)
				rc = verify_saved(&s, &saved, &p);
			if (rc < 0)
				goto fail;
		}
	}
	code = execute(&s, &p);
	goto done;
fail:
	cli_report(o);
	code = exit_code_for(rc);
done:
	buf_release(&out);
	plan_release(&saved);
	plan_release(&p);
	session_release(&s);
	return code;
}
