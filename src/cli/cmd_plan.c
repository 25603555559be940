#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "core/render.h"
#include "util/err.h"
#include "util/fsutil.h"

int cmd_plan(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(o), 0 };
	struct plan p = { 0 };
	struct buf out = BUF_INIT;
	struct session s;
	int format = RENDER_TEXT;
	int rc, code = EXIT_ERROR;

	if (cli_no_args(o) < 0 || cli_render_format(o, &format) < 0)
		return EXIT_ERROR;
	if (o->out && !strcmp(o->out, "-")) {
		cli_usage_error(o->cmd, "--out takes a file name; for the plan on standard output "
					"use --format json");
		return EXIT_ERROR;
	}
	session_init(&s, o);
	rc = session_load_desired(&s, NULL, stderr);
	if (rc == 0)
		rc = session_run_plan(&s, &p);
	if (rc < 0) {
		cli_report(o);
		goto done;
	}
	render_plan(&out, &p, (enum render_format)format, &ro);
	fwrite(out.ptr, 1, out.len, stdout);
	if (o->out) {
		char *text = plan_to_text(&p);

		rc = fs_write_atomic(o->out, text, strlen(text), 0600);
		free(text);
		if (rc < 0) {
			cli_report(o);
			goto done;
		}
		cli_info(o, "plan saved to %s (%s)", o->out, p.digest);
	}
	if (plan_violations(&p))
		code = EXIT_DENIED;
	else
		code = plan_has_changes(&p) ? EXIT_CHANGES : EXIT_OK;
done:
	buf_release(&out);
	plan_release(&p);
	session_release(&s);
	return code;
}
