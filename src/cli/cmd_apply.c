#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/apply_exec.h"
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
#include "util/mem.h"
#include "util/timeutil.h"

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
	code = apply_execute(&s, &p, NULL);
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
