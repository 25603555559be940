#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/apply_revert.h"
#include "cli/cli.h"
#include "cli/session.h"
#include "core/render.h"
#include "core/revert.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"

/* The run's account and API, as its first record of the log says. Borrowed. */
static const json_t *run_record(const json_t *records, const char *run_id)
{
	size_t i;
	json_t *rec;

	json_array_foreach(records, i, rec) {
		const char *run = json_string_value(json_object_get(rec, "run_id"));

		if (run && !strcmp(run, run_id))
			return rec;
	}
	return NULL;
}

/* Settle the account: the run's; a flag or environment naming another is refused. */
static int settle_account(struct session *s, const json_t *rec)
{
	const char *given = s->o->account_id ? s->o->account_id : getenv("CLOUDFLARE_ACCOUNT_ID");
	const char *run_account = json_string_value(json_object_get(rec, "account_id"));

	if (!run_account)
		return err_set(MW_EPLAN, "the run's records name no account");
	if (given && *given && strcmp(given, run_account))
		return err_set(MW_ECONFIG,
			       "account mismatch: the run was applied to account %s, but this run "
			       "is configured for account %s",
			       run_account, given);
	s->account_id = xstrdup(run_account);
	return 0;
}

static void print_notes(const char *what, const json_t *list)
{
	size_t i;
	json_t *n;

	json_array_foreach(list, i, n)
		cli_error("%s: %s (%s): %s", what, json_string_value(json_object_get(n, "domain")),
			  json_string_value(json_object_get(n, "id")),
			  json_string_value(json_object_get(n, "why")));
}

int cmd_revert(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(o), 0 };
	struct revert_notes notes = { 0 };
	struct plan p = { 0 };
	struct buf out = BUF_INIT;
	json_t *records = NULL;
	const json_t *rec;
	const char *run_api;
	struct session s;
	int format = RENDER_TEXT;
	int rc, code = EXIT_ERROR;

	if (cli_no_args(o) < 0 || cli_render_format(o, &format) < 0)
		return EXIT_ERROR;
	if (!o->audit_log || !o->run_id) {
		cli_usage_error(o->cmd, "needs --audit-log FILE and --run RUN_ID");
		return EXIT_ERROR;
	}
	session_init(&s, o);
	rc = apply_revert_records(&records, o->audit_log);
	if (rc < 0)
		goto fail;
	rec = run_record(records, o->run_id);
	if (!rec) {
		rc = err_set(MW_EPLAN, "run '%s' is not in the audit log '%s'", o->run_id,
			     o->audit_log);
		goto fail;
	}
	rc = settle_account(&s, rec);
	if (rc == 0)
		rc = session_connect(&s);
	if (rc < 0)
		goto fail;
	run_api = json_string_value(json_object_get(rec, "api_url"));
	if (run_api && strcmp(run_api, s.api_url)) {
		rc = err_set(MW_ECONFIG, "the run was applied through API %s, but this run uses %s",
			     run_api, s.api_url);
		goto fail;
	}
	rc = session_read_live(&s, false);
	if (rc == 0)
		rc = revert_build(&p, &notes, records, o->run_id, &s.live);
	if (rc < 0)
		goto fail;
	print_notes("conflict, left out", notes.conflicts);
	print_notes("cannot restore", notes.not_restorable);
	render_plan(&out, &p, (enum render_format)format, &ro);
	fwrite(out.ptr, 1, out.len, stdout);
	fflush(stdout);
	if (o->out) {
		char *text = plan_to_text(&p);

		rc = fs_write_atomic(o->out, text, strlen(text), 0644);
		free(text);
		if (rc < 0)
			goto fail;
		cli_info(o,
			 "revert plan saved to %s (%s); apply it with 'mailward apply %s "
			 "--audit-log %s'",
			 o->out, p.digest, o->out, o->audit_log);
	}
	code = plan_has_changes(&p) ? EXIT_CHANGES : EXIT_OK;
	goto done;
fail:
	cli_report(o);
	code = exit_code_for(rc);
done:
	buf_release(&out);
	plan_release(&p);
	revert_notes_release(&notes);
	json_decref(records);
	session_release(&s);
	return code;
}
