#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "core/notify.h"
#include "core/render.h"
#include "util/err.h"
#include "util/url.h"

/*
 * The webhook (--notify, else MAILWARD_NOTIFY_URL) into `*out`, NULL when
 * none, checked before any work: a URL that could never be used is found
 * on the first run, not on the first night with drift. Only the URL is
 * checked: a test POST would post to the channel on every run.
 */
static int notify_url(const char **out, const struct cli_opts *o)
{
	const char *env = getenv("MAILWARD_NOTIFY_URL");
	const char *url = o->notify ? o->notify : env && *env ? env : NULL;
	struct buf checked = BUF_INIT, shown = BUF_INIT;
	int rc;

	*out = url;
	if (!url)
		return 0;
	rc = http_check_webhook_url(&checked, url);
	if (rc < 0) {
		/* Not a URL at all: it may be a secret pasted in the wrong place. */
		if (strstr(url, "://")) {
			buf_puts(&shown, " ");
			url_redact(&shown, url, URL_ORIGIN_ONLY);
		}
		cli_error("%s%s: %s; nothing was read or sent",
			  o->notify ? "--notify" : "MAILWARD_NOTIFY_URL",
			  shown.len ? shown.ptr : "", err_msg());
	}
	buf_release(&checked);
	buf_release(&shown);
	return rc;
}

int cmd_drift(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_DRIFT, cli_use_color(o), 0 };
	struct plan p = { 0 };
	struct buf out = BUF_INIT;
	struct session s;
	const char *notify = NULL;
	int format = RENDER_TEXT;
	int rc, code = EXIT_ERROR;

	if (cli_no_args(o) < 0 || cli_render_format(o, &format) < 0)
		return EXIT_ERROR;
	if (notify_url(&notify, o) < 0)
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
