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
#include "util/esc.h"
#include "util/hash.h"
#include "util/lock.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "util/url.h"

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
 * What one apply run holds from before it reads the live state to its end:
 * the account's lock and the audit log (opened, locked, its torn tail cut),
 * so that a run that waited for another sees what the other did. The audit
 * context points at `run_id` and at the plan to carry out, both filled in
 * before the first record is written.
 */
struct run_locks {
	struct lock_file *lock;
	struct audit *audit;
	struct audit_context actx;
	char run_id[17];
	double deadline; /* --lock-timeout, for both locks together */
};

static int take_account_lock(struct session *s, struct run_locks *rl)
{
	char *path = account_lock_path(s->o, s->account_id);
	int rc;

	rl->deadline = time_mono() + s->o->lock_timeout_s;
	rc = lock_file_acquire(&rl->lock, path, s->o->lock_timeout_s);
	free(path);
	return rc;
}

static int open_audit_log(struct session *s, struct run_locks *rl, const struct plan *p)
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
static int take_locks(struct session *s, struct run_locks *rl, const struct plan *p)
{
	int rc = take_account_lock(s, rl);

	return rc < 0 ? rc : open_audit_log(s, rl, p);
}

static void release_locks(struct run_locks *rl)
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
static int execute(struct session *s, struct plan *p, struct run_locks *rl)
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
	printf("Applying %zu operation%s (run %s, plan %s):\n", n, n == 1 ? "" : "s",
	       rl->run_id, p->digest);
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

/* The account and API the plan is for must be this run's. */
static int check_account(const struct session *s, const struct plan *saved)
{
	if (strcmp(saved->account_id, s->account_id))
		return err_set(MW_ESTALE,
			       "the plan is for account %s, but this run is configured for "
			       "account %s; nothing was applied",
			       saved->account_id, s->account_id);
	if (strcmp(saved->api_url, s->api_url)) {
		struct buf shown = BUF_INIT;
		int rc;

		url_redact(&shown, saved->api_url, 0);
		rc = err_set(MW_ESTALE,
			     "the plan is for API %s, but this run uses %s; nothing was applied",
			     shown.ptr, s->api_url);
		buf_release(&shown);
		return rc;
	}
	return 0;
}

/*
 * A revert plan is vouched for by the audit log of the run it reverts, not
 * by a commit: built again from that log (which must verify) and the live
 * state now, and compared (apply_revert_verify()). The policies at --ref
 * judge it like any plan. The log is read before it is opened for appending:
 * closing a descriptor of a file drops this process's locks on it.
 */
static int verify_revert(struct session *s, const struct plan *saved, struct run_locks *rl,
			 struct plan *out)
{
	int rc = session_load_desired(s, NULL, stderr);

	if (rc == 0)
		rc = session_resolve_account(s, true);
	if (rc == 0)
		rc = session_connect(s);
	if (rc == 0)
		rc = check_account(s, saved);
	if (rc == 0)
		rc = take_account_lock(s, rl);
	if (rc == 0)
		rc = apply_revert_verify(s, saved, s->o->audit_log, out);
	if (rc == 0)
		rc = open_audit_log(s, rl, out);
	if (rc < 0)
		return rc;
	plan_set_policy(out, policy_findings(&s->policies, out, &s->live, s->o->force));
	/* The records name the reviewed artifact. */
	memcpy(out->digest, saved->digest, sizeof(out->digest));
	return check_verdict(out);
}

/*
 * A saved plan: verified against its commit (or, for a revert plan, its
 * audit log), the locks taken before the live state is read.
 */
static int load_saved(struct session *s, const char *planfile, struct plan *saved,
		      struct run_locks *rl, struct plan *out)
{
	int rc = plan_load_file(saved, planfile);

	if (rc == 0 && saved->kind == PLAN_KIND_DRIFT)
		rc = err_set(MW_EPLAN, "%s is a drift report, not a plan: make one with 'mailward "
				       "plan --out FILE'",
			     planfile);
	if (rc == 0 && saved->kind != PLAN_KIND_REVERT)
		rc = check_saved_usage(s->o, saved);
	/* Denied when it was made: refused whatever the policies say now. */
	if (rc == 0)
		rc = check_verdict(saved);
	if (rc < 0)
		return rc;
	if (saved->kind == PLAN_KIND_REVERT)
		return verify_revert(s, saved, rl, out);
	rc = session_load_desired(s, saved->source.commit, stderr);
	if (rc == 0)
		rc = session_resolve_account(s, true);
	if (rc == 0)
		rc = session_connect(s);
	if (rc == 0)
		rc = check_target(s, saved);
	if (rc == 0)
		rc = take_locks(s, rl, out);
	if (rc == 0)
		rc = session_read_live(s, false);
	if (rc == 0)
		rc = verify_saved(s, saved, out);
	return rc;
}

/* No plan file: plan now, show it, and apply it once approved. */
static int plan_now(struct session *s, struct plan *proposed, struct run_locks *rl,
		    struct plan *out)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(), 0 };
	struct plan_source src;
	struct planner_input in;
	struct buf text = BUF_INIT;
	int rc = session_load_desired(s, NULL, stderr);

	if (rc == 0)
		rc = session_resolve_account(s, true);
	if (rc == 0)
		rc = session_connect(s);
	if (rc == 0)
		rc = take_locks(s, rl, out);
	if (rc == 0)
		rc = session_read_live(s, false);
	if (rc < 0)
		return rc;
	session_planner_input(s, &src, &in);
	rc = planner_run(proposed, &in);
	if (rc < 0)
		return rc;
	render_plan(&text, proposed, RENDER_TEXT, &ro);
	fwrite(text.ptr, 1, text.len, stdout);
	fflush(stdout);
	buf_release(&text);
	if (plan_violations(proposed))
		return err_set(MW_EDENIED, "the plan is denied by policy; nothing was applied");
	if (proposed->summary.update + proposed->summary.del == 0)
		return 0;
	rc = confirm(s->o);
	if (rc < 0)
		return rc;
	if (s->o->auto_approve) {
		*out = *proposed;
		memset(proposed, 0, sizeof(*proposed));
		return 0;
	}
	/* A person took time to answer: check the plan against live state now. */
	live_release(&s->live);
	rc = session_read_live(s, false);
	return rc < 0 ? rc : verify_saved(s, proposed, out);
}

int cmd_apply(struct cli_opts *o)
{
	const char *planfile = o->n_args == 1 ? o->args[0] : NULL;
	struct plan saved = { 0 }, p = { 0 };
	struct run_locks rl = { 0 };
	struct session s;
	int rc, code = EXIT_ERROR;

	if (o->n_args > 1) {
		fprintf(stderr, "mailward apply: takes at most one plan file (see 'mailward apply "
				"--help')\n");
		return EXIT_ERROR;
	}
	session_init(&s, o);
	if (planfile)
		rc = load_saved(&s, planfile, &saved, &rl, &p);
	else
		rc = plan_now(&s, &saved, &rl, &p);
	if (rc < 0) {
		cli_report(o);
		code = exit_code_for(rc);
		goto done;
	}
	if (planfile)
		cli_info(o, "applying plan %s (%s, %s %.12s): verified", planfile, saved.digest,
			 saved.kind == PLAN_KIND_REVERT ? "revert of run" : "commit",
			 saved.kind == PLAN_KIND_REVERT  ? saved.revert_of
			 : p.source.commit		 ? p.source.commit
							 : "none");
	/* No plan file and nothing to send: plan_now() left `p` empty. */
	if (!planfile && !p.format_version) {
		cli_info(o, "nothing to apply");
		code = EXIT_OK;
		goto done;
	}
	code = execute(&s, &p, &rl);
done:
	release_locks(&rl);
	plan_release(&saved);
	plan_release(&p);
	session_release(&s);
	return code;
}
