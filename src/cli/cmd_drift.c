#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "core/notify.h"
#include "core/render.h"
#include "util/err.h"

int cmd_drift(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_DRIFT, cli_use_color(), 0 };
	struct plan p = { 0 };
	struct buf out = BUF_INIT;
	struct session s;
	const char *notify = o->notify;
	int format = RENDER_TEXT;
	int rc, code = EXIT_ERROR;

	if (cli_no_args(o) < 0 || cli_render_format(o, &format) < 0)
		return EXIT_ERROR;
	session_init(&s, o);
	rc = session_load_desired(&s, NULL, stderr);
	if (rc == 0)
		rc = session_run_plan(&s, &p);
	if (rc < 0) {
		cli_report(o);
		goto done;
	}
	code = plan_has_changes(&p) ? EXIT_CHANGES : EXIT_OK;
	/* A cron job mails what it prints: with --quiet, in sync says nothing. */
	if (code == EXIT_CHANGES || !o->quiet) {
		render_plan(&out, &p, (enum render_format)format, &ro);
		fwrite(out.ptr, 1, out.len, stdout);
		fflush(stdout);
	}
	if (!notify && getenv("MAILWARD_NOTIFY_URL") && *getenv("MAILWARD_NOTIFY_URL"))
		notify = getenv("MAILWARD_NOTIFY_URL");
	if (code == EXIT_CHANGES && notify) {
		struct http_opts ho = { 0 };

		ho.retries = o->retries;
		ho.timeout_ms = o->timeout_s * 1000;
		ho.ca_file = o->ca_file;
		rc = notify_drift(notify, &p, &ho);
		if (rc < 0) {
			cli_error("drift found, but %s%s", rc == MW_ECONFIG ? "--notify " : "",
				  err_msg());
			code = EXIT_ERROR;
		} else {
			cli_info(o, "drift notification sent");
		}
	}
done:
	buf_release(&out);
	plan_release(&p);
	session_release(&s);
	return code;
}
