#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/apply_exec.h"
#include "cli/apply_revert.h"
#include "cli/cli.h"
#include "cli/session.h"
#include "core/planner.h"
#include "core/policy.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/url.h"

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
		rc = err_set(
			MW_ESTALE,
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
static int verify_revert(struct session *s, const struct plan *saved, struct apply_locks *rl,
			 struct plan *out)
{
	int rc = session_open(s, NULL, stderr);

	if (rc == 0)
		rc = check_account(s, saved);
	if (rc == 0)
		rc = apply_take_account_lock(s, rl);
	if (rc == 0)
		rc = apply_revert_verify(s, saved, s->o->audit_log, out);
	if (rc == 0)
		rc = apply_open_audit_log(s, rl, out);
	if (rc < 0)
		return rc;
	plan_set_policy(out, policy_findings(&s->policies, out, &s->live, s->o->force));
	/* The records name the reviewed artifact. */
	memcpy(out->digest, saved->digest, sizeof(out->digest));
	return apply_check_verdict(out);
}

/*
 * A saved plan: verified against its commit (or, for a revert plan, its
 * audit log), the locks taken before the live state is read.
 */
static int load_saved(struct session *s, const char *planfile, struct plan *saved,
		      struct apply_locks *rl, struct plan *out)
{
	int rc = plan_load_file(saved, planfile);

	if (rc == 0 && saved->kind == PLAN_KIND_DRIFT)
		rc = err_set(MW_EPLAN,
			     "%s is a drift report, not a plan: make one with 'mailward "
			     "plan --out FILE'",
			     planfile);
	if (rc == 0 && saved->kind != PLAN_KIND_REVERT)
		rc = check_saved_usage(s->o, saved);
	/* Denied when it was made: refused whatever the policies say now. */
	if (rc == 0)
		rc = apply_check_verdict(saved);
	if (rc < 0)
		return rc;
	if (saved->kind == PLAN_KIND_REVERT)
		return verify_revert(s, saved, rl, out);
	rc = session_open(s, saved->source.commit, stderr);
	if (rc == 0)
		rc = check_target(s, saved);
	if (rc == 0)
		rc = apply_take_locks(s, rl, out);
	if (rc == 0)
		rc = session_read_live(s, false);
	if (rc == 0)
		rc = apply_verify_saved(s, saved, out);
	return rc;
}

/* No plan file: plan now, show it, and apply it once approved. */
static int plan_now(struct session *s, struct plan *proposed, struct apply_locks *rl,
		    struct plan *out)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(s->o), 0 };
	struct plan_source src;
	struct planner_input in;
	struct buf text = BUF_INIT;
	int rc = session_open(s, NULL, stderr);

	if (rc == 0)
		rc = apply_take_locks(s, rl, out);
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
	return rc < 0 ? rc : apply_verify_saved(s, proposed, out);
}

int cmd_apply(struct cli_opts *o)
{
	const char *planfile = o->n_args == 1 ? o->args[0] : NULL;
	struct plan saved = { 0 }, p = { 0 };
	struct apply_locks rl = { 0 };
	struct session s;
	int rc, code = EXIT_ERROR;

	if (o->n_args > 1) {
		cli_usage_error(o->cmd, "takes at most one plan file");
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
			 saved.kind == PLAN_KIND_REVERT ? saved.revert_of
			 : p.source.commit              ? p.source.commit
							: "none");
	/* No plan file and nothing to send: plan_now() left `p` empty. */
	if (!planfile && !p.format_version) {
		cli_info(o, "nothing to apply");
		code = EXIT_OK;
		goto done;
	}
	code = apply_execute(&s, &p, &rl, NULL);
done:
	apply_release_locks(&rl);
	plan_release(&saved);
	plan_release(&p);
	session_release(&s);
	return code;
}
